// Serves the island bundles at /_islands/<file>: only files the current manifest names, cached
// forever (names carry a content hash).

import { Hono } from "hono";
import type { Env } from "../lib/http/types.ts";
import {
  BUNDLE_FILE_RE,
  DEFAULT_BUILD_DIR,
  IslandBuildMissing,
  loadManifest,
  manifestFiles,
} from "../lib/islands/manifest.ts";
import type { IslandManifest } from "../lib/islands/manifest.ts";

const HEADERS = {
  "Content-Type": "text/javascript; charset=utf-8",
  "Cache-Control": "public, max-age=31536000, immutable",
};

/** Routes for the bundles in `buildDir` (the repository's `_build/islands` by default). */
export function createIslandAssetRoutes<E extends Env = Env>(buildDir: string = DEFAULT_BUILD_DIR): Hono<E> {
  const routes = new Hono<E>();
  // Bundles never change under a name, so their bytes are kept per manifest.
  const loaded = new WeakMap<IslandManifest, Map<string, Uint8Array<ArrayBuffer>>>();

  routes.get("/_islands/:file", async (c) => {
    const file = c.req.param("file");
    if (!BUNDLE_FILE_RE.test(file)) return c.notFound();
    let manifest: IslandManifest;
    try {
      manifest = loadManifest(buildDir);
    } catch (err) {
      if (err instanceof IslandBuildMissing) return c.notFound();
      throw err;
    }
    if (!manifestFiles(manifest).has(file)) return c.notFound();
    let files = loaded.get(manifest);
    if (!files) loaded.set(manifest, files = new Map());
    let body = files.get(file);
    if (!body) {
      try {
        body = await Deno.readFile(`${buildDir}/${file}`);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return c.notFound();
        throw err;
      }
      files.set(file, body);
    }
    return c.body(body, 200, HEADERS);
  });
  return routes;
}

export const islandAssetRoutes: Hono<Env> = createIslandAssetRoutes();
