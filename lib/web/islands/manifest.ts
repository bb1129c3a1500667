// The island build's manifest: which hashed file holds each island, the runtime, shared chunks and
// the islands' per-language catalog chunks.

import { readBuildFile } from "./build_file.ts";

/** Where scripts/build_islands.ts writes bundles (gitignored). */
export const DEFAULT_BUILD_DIR: string = decodeURIComponent(
  new URL("../../../_build/islands", import.meta.url).pathname,
);
/** URL prefix the bundles are served under (routes/_islands.ts). */
export const ISLANDS_URL_PREFIX = "/_islands/";
export const MANIFEST_FILE = "manifest.json";
/** Bundle file names: one path segment, no dot-segments, `.js`. */
export const BUNDLE_FILE_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.js$/;

export interface IslandManifest {
  version: 1;
  /** The client runtime entry (exports `boot`). */
  runtime: string;
  /** Island name → its entry file. */
  islands: Record<string, string>;
  /** Files made by code splitting: shared chunks and modules imported lazily (`import()`). */
  chunks: string[];
  /** File → the files it imports statically (for modulepreload). */
  imports: Record<string, string[]>;
  /**
   * Island name → language → its catalog chunk (`export default` compiled messages), for islands
   * registered with a catalog (island.ts). Absent in builds from before catalog chunks.
   */
  catalogs?: Record<string, Record<string, string>>;
}

/** Rendering a page with an island before the bundles were built. */
export class IslandBuildMissing extends Error {
  constructor(detail: string) {
    super(`island bundles are missing: run \`deno task build\` (deno run -A scripts/build_islands.ts). ${detail}`);
    this.name = "IslandBuildMissing";
  }
}

/**
 * Reads and checks `<dir>/manifest.json`, re-reading only when the file changed (a rebuild while
 * the server runs is picked up). Throws IslandBuildMissing when there is no build.
 */
export function loadManifest(dir: string = DEFAULT_BUILD_DIR): IslandManifest {
  const path = `${dir}/${MANIFEST_FILE}`;
  const manifest = readBuildFile(path, (text) => parseManifest(text, path));
  if (!manifest) throw new IslandBuildMissing(`No ${path}.`);
  return manifest;
}

/** All files a manifest lets the browser load. */
export function manifestFiles(manifest: IslandManifest): Set<string> {
  return new Set([manifest.runtime, ...Object.values(manifest.islands), ...manifest.chunks, ...catalogFiles(manifest)]);
}

/** Every catalog chunk of a manifest. */
export function catalogFiles(manifest: Pick<IslandManifest, "catalogs">): string[] {
  return Object.values(manifest.catalogs ?? {}).flatMap((byLocale) => Object.values(byLocale));
}

function parseManifest(text: string, path: string): IslandManifest {
  const m = JSON.parse(text) as IslandManifest;
  const files = [m?.runtime, ...Object.values(m?.islands ?? {}), ...(m?.chunks ?? []), ...catalogFiles(m ?? {})];
  if (m?.version !== 1 || !m.imports || files.some((f) => typeof f !== "string" || !BUNDLE_FILE_RE.test(f))) {
    throw new Error(`${path} is not an island manifest this version understands: rebuild with \`deno task build\``);
  }
  return m;
}
