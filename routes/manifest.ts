// GET /manifest.webmanifest: the installable app's web manifest (lib/web/pwa.ts).

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { assetResponse } from "../lib/web/compression.ts";
import { webManifestAsset } from "../lib/web/pwa.ts";
import { isLocale } from "../lib/i18n/locales.ts";

export const webManifestRoutes = new Hono<Env>();

/**
 * Revalidated on every use (a 304 by ETag while the build is the same): the icons it names are
 * hashed files that a later build no longer serves, so a manifest cached for long would point at
 * icons that are gone. One manifest per language: its description, `lang` and `dir`.
 */
webManifestRoutes.get("/manifest.webmanifest", async (c) => {
  // The page links its own language's (`?lang=`); anything else is the English one.
  const lang = c.req.query("lang");
  return assetResponse(c, await webManifestAsset(isLocale(lang) ? lang : "en"), "no-cache");
});
