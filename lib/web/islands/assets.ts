// Build output served as files: brotli and gzip siblings written at build time (for the island
// bundles and static/), content-hashed copies of static/ with a manifest, and reading them back.

import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { getMimeType } from "hono/utils/mime";
import type { EncodedAsset } from "../compression.ts";
import { readBuildFile } from "./build_file.ts";

/** The source files served under /static/. */
export const STATIC_SOURCE_DIR: string = decodeURIComponent(new URL("../../../static", import.meta.url).pathname);
/** Where the build writes hashed copies of static/ and their codings (gitignored). */
export const DEFAULT_STATIC_BUILD_DIR: string = decodeURIComponent(
  new URL("../../../_build/static", import.meta.url).pathname,
);
export const STATIC_URL_PREFIX = "/static/";
export const STATIC_MANIFEST_FILE = "manifest.json";
/** A file name we serve: one path segment, no dot-segments. */
export const ASSET_FILE_RE = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/;
/**
 * Files that keep their name: a service worker's URL is its identity (browsers re-check that URL
 * for updates), so sw.js gets codings but no hash.
 */
const UNHASHED = new Set(["sw.js"]);

/** Text-like types worth compressing; images such as PNG are compressed already. */
const COMPRESSIBLE_EXT = /\.(css|js|mjs|svg|json|txt|html|map|webmanifest|xml|wasm|tflite)$/;
/** Above this size brotli drops from quality 11 to 9: the segmenter's 13 MB wasm took minutes at 11. */
const BIG_FILE = 1 << 20;

export interface StaticEntry {
  /** The built file's name (hashed unless in UNHASHED). */
  file: string;
  /** Hex SHA-256 prefix of the content. */
  hash: string;
  /** Codings written beside it (`<file>.br`, `<file>.gz`). */
  encodings: ("br" | "gzip")[];
}

export interface StaticManifest {
  version: 1;
  /** Source name in static/ → its built file. */
  files: Record<string, StaticEntry>;
}

export interface Codings {
  br?: Uint8Array;
  gzip?: Uint8Array;
}

/**
 * Brotli at quality 11 and gzip at level 9 (the build pays the CPU once), each kept only when it is
 * smaller than the file itself.
 */
export function compressForBuild(data: Uint8Array): Codings {
  const out: Codings = {};
  const br = brotliCompressSync(data, {
    params: {
      [zlib.BROTLI_PARAM_QUALITY]: data.length > BIG_FILE ? 9 : zlib.BROTLI_MAX_QUALITY,
      [zlib.BROTLI_PARAM_MODE]: isText(data) ? zlib.BROTLI_MODE_TEXT : zlib.BROTLI_MODE_GENERIC,
      [zlib.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
  if (br.length < data.length) out.br = new Uint8Array(br);
  const gz = gzipSync(data, { level: 9 });
  if (gz.length < data.length) out.gzip = new Uint8Array(gz);
  return out;
}

/** Whether the first bytes look like text (wasm and models are binary). */
function isText(data: Uint8Array): boolean {
  return !data.subarray(0, 512).includes(0);
}

/** True for names whose content compresses (by extension). */
export function isCompressibleFile(name: string): boolean {
  return COMPRESSIBLE_EXT.test(name);
}

/** The sibling file holding `coding` of `file`. */
export function codingFile(file: string, coding: "br" | "gzip"): string {
  return `${file}${coding === "br" ? ".br" : ".gz"}`;
}

/** Hex SHA-256 of `data`, cut to `bytes` bytes. */
export async function contentHash(data: Uint8Array, bytes = 12): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
  return [...digest.slice(0, bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Writes `path` so a reader sees the old file or the new one, never half of one. */
export async function writeAtomic(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  await Deno.writeFile(tmp, data);
  await Deno.rename(tmp, path);
}

/** The Content-Type we send for a file name. */
export function contentTypeOf(name: string): string {
  if (name.endsWith(".js") || name.endsWith(".mjs")) return "text/javascript; charset=utf-8";
  return getMimeType(name) ?? "application/octet-stream";
}

export interface StaticBuildResult {
  outDir: string;
  manifest: StaticManifest;
  files: { source: string; file: string; bytes: number; gzipBytes?: number; brBytes?: number }[];
}

/**
 * Copies every file of `sourceDir` into `outDir` under a content-hashed name (`app.css` →
 * `app-<hash>.css`, sw.js unhashed) with its brotli and gzip siblings, then writes the manifest
 * last (atomically) and deletes what an earlier build left. Same sources, same names: safe to rerun.
 */
export async function buildStaticAssets(
  opts: {
    sourceDir?: string;
    outDir?: string;
    /** More files served under /static/ like static/'s own: served name → absolute path (node_modules). */
    extra?: Record<string, string>;
  } = {},
): Promise<StaticBuildResult> {
  const sourceDir = opts.sourceDir ?? STATIC_SOURCE_DIR;
  const outDir = opts.outDir ?? DEFAULT_STATIC_BUILD_DIR;
  await Deno.mkdir(outDir, { recursive: true });
  const manifest: StaticManifest = { version: 1, files: {} };
  const files: StaticBuildResult["files"] = [];
  const keep = new Set([STATIC_MANIFEST_FILE]);
  const names: string[] = [];
  for await (const e of Deno.readDir(sourceDir)) {
    if (e.isFile && ASSET_FILE_RE.test(e.name)) names.push(e.name);
  }
  const extra = opts.extra ?? {};
  for (const name of Object.keys(extra)) {
    if (!ASSET_FILE_RE.test(name) || names.includes(name)) {
      throw new Error(`extra static file ${name}: bad or taken name`);
    }
  }
  for (const name of [...names, ...Object.keys(extra)].sort()) {
    const data = await Deno.readFile(extra[name] ?? `${sourceDir}/${name}`);
    const hash = await contentHash(data);
    const dot = name.indexOf(".");
    const file = UNHASHED.has(name) ? name : `${name.slice(0, dot)}-${hash.slice(0, 12)}${name.slice(dot)}`;
    const codings = isCompressibleFile(name) ? compressForBuild(data) : {};
    await writeAtomic(`${outDir}/${file}`, data);
    keep.add(file);
    const encodings: StaticEntry["encodings"] = [];
    for (const coding of ["br", "gzip"] as const) {
      const bytes = codings[coding];
      if (!bytes) continue;
      await writeAtomic(`${outDir}/${codingFile(file, coding)}`, bytes);
      keep.add(codingFile(file, coding));
      encodings.push(coding);
    }
    manifest.files[name] = { file, hash, encodings };
    files.push({
      source: name,
      file,
      bytes: data.length,
      gzipBytes: codings.gzip?.length,
      brBytes: codings.br?.length,
    });
  }
  await writeAtomic(
    `${outDir}/${STATIC_MANIFEST_FILE}`,
    new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"),
  );
  for await (const e of Deno.readDir(outDir)) {
    if (!keep.has(e.name)) await Deno.remove(`${outDir}/${e.name}`, { recursive: true });
  }
  return { outDir, manifest, files };
}

/**
 * The static build's manifest, re-read only when the file changed; null when there is no build
 * (pages then link the unhashed /static/ files, which always work).
 */
export function loadStaticManifest(dir: string = DEFAULT_STATIC_BUILD_DIR): StaticManifest | null {
  const path = `${dir}/${STATIC_MANIFEST_FILE}`;
  return readBuildFile(path, (text) => {
    const m = JSON.parse(text) as StaticManifest;
    const ok = m?.version === 1 && typeof m.files === "object" && m.files !== null &&
      Object.entries(m.files).every(([name, e]) =>
        ASSET_FILE_RE.test(name) && typeof e?.file === "string" && ASSET_FILE_RE.test(e.file) &&
        typeof e.hash === "string" && Array.isArray(e.encodings)
      );
    if (!ok) {
      throw new Error(`${path} is not a static manifest this version understands: rebuild with \`deno task build\``);
    }
    return m;
  });
}

/**
 * The URL to link for a static file: its hashed name when built (cached for a year by the browser),
 * else the plain /static/ path. Accepts `app.css` or `/static/app.css`; other URLs pass through.
 */
export function staticUrl(nameOrPath: string, dir: string = DEFAULT_STATIC_BUILD_DIR): string {
  const name = nameOrPath.startsWith(STATIC_URL_PREFIX) ? nameOrPath.slice(STATIC_URL_PREFIX.length) : nameOrPath;
  if (nameOrPath.includes("://") || name.includes("/") || !ASSET_FILE_RE.test(name)) return nameOrPath;
  const entry = loadStaticManifest(dir)?.files[name];
  return STATIC_URL_PREFIX + (entry ? entry.file : name);
}

/**
 * Reads `dir/file` and the codings named in `encodings` (or, when undefined, whichever siblings
 * exist) into an EncodedAsset; null when the file is missing.
 */
export async function readEncodedAsset(
  dir: string,
  file: string,
  encodings?: readonly ("br" | "gzip")[],
  hash?: string,
): Promise<EncodedAsset | null> {
  const identity = await readOrNull(`${dir}/${file}`);
  if (!identity) return null;
  const asset: EncodedAsset = {
    contentType: contentTypeOf(file),
    hash: hash ?? await contentHash(identity),
    identity,
  };
  for (const coding of encodings ?? ["br", "gzip"] as const) {
    const bytes = await readOrNull(`${dir}/${codingFile(file, coding)}`);
    if (bytes) asset[coding] = bytes;
    else if (encodings) {
      throw new Error(`${dir}/${codingFile(file, coding)} is missing: rebuild with \`deno task build\``);
    }
  }
  return asset;
}

async function readOrNull(path: string): Promise<Uint8Array<ArrayBuffer> | null> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}
