// GET /sw.js: the service worker (static/sw.js with this build's app shell, lib/web/pwa.ts): the
// offline page, cached hashed files, and the meeting reminders it shows (web push).

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { assetResponse } from "../lib/web/compression.ts";
import { serviceWorkerAsset } from "../lib/web/pwa.ts";

export const serviceWorkerRoutes = new Hono<Env>();

/**
 * The service worker lives at the site root so its scope covers every page (a worker served from
 * /static/ could only control /static/). It must never be cached long: browsers check it for
 * updates, and a stale worker would keep an old shell and old notification behaviour. The ETag
 * (its content hash) makes that check a 304 while nothing changed.
 */
serviceWorkerRoutes.get("/sw.js", async (c) => {
  const res = assetResponse(c, await serviceWorkerAsset(c.get("deps").config.release), "no-cache");
  res.headers.set("Service-Worker-Allowed", "/");
  return res;
});
