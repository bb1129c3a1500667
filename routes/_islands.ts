// Serves the build's output: the island bundles at /_islands/<file> and static/ at /static/<file>.
// Hashed names are only those the current manifests list, cached forever; every file goes out in
// the best coding the browser accepts (brotli and gzip siblings written by the build).

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { assetResponse } from "../lib/web/compression.ts";
import type { EncodedAsset } from "../lib/web/compression.ts";
import {
  ASSET_FILE_RE,
  contentHash,
  contentTypeOf,
  DEFAULT_STATIC_BUILD_DIR,
  loadStaticManifest,
  readEncodedAsset,
  STATIC_SOURCE_DIR,
} from "../lib/web/islands/assets.ts";
import type { StaticEntry, StaticManifest } from "../lib/web/islands/assets.ts";
import {
  BUNDLE_FILE_RE,
  DEFAULT_BUILD_DIR,
  IslandBuildMissing,
  loadManifest,
  manifestFiles,
} from "../lib/web/islands/manifest.ts";
import type { IslandManifest } from "../lib/web/islands/manifest.ts";

export const IMMUTABLE = "public, max-age=31536000, immutable";
/** Unhashed /static/ names (pages rendered before hashing, sw.js): always revalidated by ETag. */
export const REVALIDATE = "no-cache";

/** Routes for the bundles in `buildDir` (the repository's `_build/islands` by default). */
export function createIslandAssetRoutes<E extends Env = Env>(buildDir: string = DEFAULT_BUILD_DIR): Hono<E> {
  const routes = new Hono<E>();
  // Bundles never change under a name, so their bytes are kept per manifest.
  const loaded = new WeakMap<IslandManifest, Map<string, Promise<EncodedAsset | null>>>();

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
    let pending = files.get(file);
    if (!pending) {
      // A build from before codings existed has no siblings: then identity (compressed on the fly).
      pending = readEncodedAsset(buildDir, file);
      files.set(file, pending);
      pending.catch(() => files.delete(file));
    }
    const asset = await pending;
    if (!asset) {
      files.delete(file);
      return c.notFound();
    }
    return assetResponse(c, asset, IMMUTABLE);
  });
  return routes;
}

export const islandAssetRoutes: Hono<Env> = createIslandAssetRoutes();

/**
 * Routes for /static/<file>: a hashed name from the static manifest (in `buildDir`) is immutable;
 * a plain name is the current file of `sourceDir`, revalidated on every use, with the build's
 * codings when the build holds the same bytes (otherwise the compression middleware codes it).
 */
export function createStaticAssetRoutes<E extends Env = Env>(
  opts: { sourceDir?: string; buildDir?: string } = {},
): Hono<E> {
  const sourceDir = opts.sourceDir ?? STATIC_SOURCE_DIR;
  const buildDir = opts.buildDir ?? DEFAULT_STATIC_BUILD_DIR;
  const routes = new Hono<E>();
  const hashed = new WeakMap<StaticManifest, Map<string, StaticEntry>>();
  const built = new Map<string, Promise<EncodedAsset | null>>();
  const sources = new Map<string, { stamp: string; asset: Promise<EncodedAsset | null> }>();

  const builtAsset = (entry: StaticEntry) => {
    const key = `${entry.file}:${entry.hash}`;
    let pending = built.get(key);
    if (!pending) {
      pending = readEncodedAsset(buildDir, entry.file, entry.encodings, entry.hash);
      built.set(key, pending);
      pending.then((a) => a ?? built.delete(key), () => built.delete(key));
    }
    return pending;
  };

  const sourceAsset = (name: string, manifest: StaticManifest | null): Promise<EncodedAsset | null> | null => {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(`${sourceDir}/${name}`);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
    if (!info.isFile) return null;
    const entry = manifest?.files[name];
    const stamp = `${info.mtime?.getTime()}:${info.size}:${info.ino}:${entry?.hash ?? ""}`;
    const hit = sources.get(name);
    if (hit && hit.stamp === stamp) return hit.asset;
    const asset = (async (): Promise<EncodedAsset | null> => {
      const identity = await Deno.readFile(`${sourceDir}/${name}`);
      const hash = await contentHash(identity);
      if (entry && entry.hash === hash) {
        const b = await builtAsset(entry);
        if (b) return b;
      }
      return { contentType: contentTypeOf(name), hash, identity };
    })();
    sources.set(name, { stamp, asset });
    asset.catch(() => sources.delete(name));
    return asset;
  };

  routes.get("/static/:file", async (c) => {
    const file = c.req.param("file");
    if (!ASSET_FILE_RE.test(file)) return c.notFound();
    const manifest = loadStaticManifest(buildDir);
    if (manifest) {
      let byFile = hashed.get(manifest);
      if (!byFile) {
        byFile = new Map(
          Object.entries(manifest.files).filter(([name, e]) => e.file !== name).map(([, e]) => [e.file, e]),
        );
        hashed.set(manifest, byFile);
      }
      const entry = byFile.get(file);
      if (entry) {
        const asset = await builtAsset(entry);
        return asset ? assetResponse(c, asset, IMMUTABLE) : c.notFound();
      }
    }
    const asset = await sourceAsset(file, manifest);
    return asset ? assetResponse(c, asset, REVALIDATE) : c.notFound();
  });
  return routes;
}

export const staticAssetRoutes: Hono<Env> = createStaticAssetRoutes();
