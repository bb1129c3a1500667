// Builds the island bundles: one `deno bundle` run with code splitting, entries = the client runtime
// plus each registered island, then content-hashed file names, brotli and gzip siblings
// (`<file>.br`, `<file>.gz`, served by routes/_islands.ts) and a manifest. An island registered with
// a catalog also gets one catalog chunk per language (`<Island>-<locale>-<hash>.js`, its compiled
// messages as `export default`), so pages do not carry them and browsers cache them like bundles.

import { DEFAULT_BUILD_DIR, MANIFEST_FILE } from "./manifest.ts";
import type { IslandManifest } from "./manifest.ts";
import { registeredIslands } from "./island.ts";
import { codingFile, compressForBuild, contentHash, writeAtomic } from "./assets.ts";
import type { IslandDefinition } from "./island.ts";
import { islandI18n } from "../../i18n/translate.ts";
import { LOCALES } from "../../i18n/locales.ts";

const ROOT = new URL("../../../", import.meta.url);
const RUNTIME_MODULE = new URL("./client.ts", import.meta.url);
const RUNTIME_ENTRY = "runtime";

export interface BuiltFile {
  file: string;
  bytes: number;
  /** The gzip sibling's size (level 9). */
  gzipBytes: number;
  /** The brotli sibling's size (quality 11): what a browser downloads. */
  brBytes: number;
}

export interface BuildResult {
  outDir: string;
  manifest: IslandManifest;
  files: BuiltFile[];
  /**
   * Gzip bytes a page needs for the runtime plus each island (shared chunks counted once, and the
   * English catalog chunk of an island that has one).
   */
  gzipPerIsland: Record<string, number>;
  /** The same in brotli bytes. */
  brPerIsland: Record<string, number>;
}

export interface BuildOptions {
  /** Output directory; `_build/islands` by default. Stale files in it are deleted. */
  outDir?: string;
  /** The islands to bundle: the caller imports islands/mod.ts and passes `verifiedIslands()`. */
  islands: IslandDefinition[];
}

/**
 * Bundles the runtime and islands into `outDir` and writes its manifest last (atomically), so a
 * server never sees a manifest naming files that are not there yet. Safe to rerun.
 */
export async function buildIslands(opts: BuildOptions): Promise<BuildResult> {
  const outDir = opts.outDir ?? DEFAULT_BUILD_DIR;
  const islands = opts.islands;
  const work = await Deno.makeTempDir({ prefix: "talkspace-islands-" });
  try {
    const entryFiles: string[] = [];
    const writeEntry = async (name: string, source: string) => {
      const path = `${work}/entries/${name}.ts`;
      await Deno.writeTextFile(path, source);
      entryFiles.push(path);
    };
    await Deno.mkdir(`${work}/entries`, { recursive: true });
    await writeEntry(RUNTIME_ENTRY, `export * from ${JSON.stringify(RUNTIME_MODULE.href)};\n`);
    for (const island of islands) {
      await writeEntry(island.name, `export { default } from ${JSON.stringify(island.module.href)};\n`);
    }
    await runDenoBundle(entryFiles, `${work}/out`);

    // Entries get a content hash in their name; esbuild already hashes chunk names.
    const renamed = new Map<string, string>();
    const contents = new Map<string, Uint8Array>();
    const entryOutputs = new Set<string>();
    for await (const e of Deno.readDir(`${work}/out`)) {
      if (!e.isFile || !e.name.endsWith(".js")) throw new Error(`unexpected bundle output ${e.name}`);
      const data = await Deno.readFile(`${work}/out/${e.name}`);
      const base = e.name.slice(0, -3);
      const isEntry = base === RUNTIME_ENTRY || islands.some((i) => i.name === base);
      const file = isEntry ? `${base}-${await contentHash(data, 6)}.js` : e.name;
      renamed.set(e.name, file);
      contents.set(file, data);
      if (isEntry) entryOutputs.add(file);
    }
    const outputName = (base: string) => {
      const file = renamed.get(`${base}.js`);
      if (!file) throw new Error(`deno bundle wrote no ${base}.js`);
      return file;
    };
    // Catalog chunks: data only (no imports), named by their content like the entries.
    const catalogs: Record<string, Record<string, string>> = {};
    for (const island of islands) {
      if (!island.catalog) continue;
      catalogs[island.name] = {};
      for (const locale of LOCALES) {
        const { messages } = islandI18n(locale, island.catalog);
        const data = new TextEncoder().encode(`export default ${JSON.stringify(messages)};\n`);
        const file = `${island.name}-${locale}-${await contentHash(data, 6)}.js`;
        contents.set(file, data);
        entryOutputs.add(file);
        catalogs[island.name][locale] = file;
      }
    }
    const imports: Record<string, string[]> = {};
    for (const [file, data] of contents) {
      const code = new TextDecoder().decode(data);
      const deps = staticImports(code);
      for (const dep of [...deps, ...dynamicImports(code)]) {
        // Entries are renamed after bundling, so nothing may import them by their old name.
        if (!contents.has(dep)) throw new Error(`${file} imports ${dep}, which is not a chunk of this build`);
      }
      imports[file] = deps;
    }
    const manifest: IslandManifest = {
      version: 1,
      runtime: outputName(RUNTIME_ENTRY),
      islands: Object.fromEntries(islands.map((i) => [i.name, outputName(i.name)])),
      // Shared chunks (chunk-*.js) and lazily imported modules (named after their module: janus-*.js).
      chunks: [...contents.keys()].filter((f) => !entryOutputs.has(f)).sort(),
      imports,
      catalogs,
    };

    await Deno.mkdir(outDir, { recursive: true });
    const files: BuiltFile[] = [];
    const keep = new Set([MANIFEST_FILE]);
    for (const [file, data] of contents) {
      // Siblings first: once a bundle is there, its codings are too.
      const { br, gzip } = compressForBuild(data);
      if (!br || !gzip) throw new Error(`${file} does not compress: is it really a bundle?`);
      await writeAtomic(`${outDir}/${codingFile(file, "br")}`, br);
      await writeAtomic(`${outDir}/${codingFile(file, "gzip")}`, gzip);
      await writeAtomic(`${outDir}/${file}`, data);
      for (const f of [file, codingFile(file, "br"), codingFile(file, "gzip")]) keep.add(f);
      files.push({ file, bytes: data.length, gzipBytes: gzip.length, brBytes: br.length });
    }
    await writeAtomic(`${outDir}/${MANIFEST_FILE}`, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + "\n"));
    for await (const e of Deno.readDir(outDir)) {
      if (!keep.has(e.name)) await Deno.remove(`${outDir}/${e.name}`, { recursive: true });
    }

    const closure = (file: string, acc: Set<string>) => {
      if (acc.has(file)) return acc;
      acc.add(file);
      for (const dep of imports[file] ?? []) closure(dep, acc);
      return acc;
    };
    const byFile = new Map(files.map((f) => [f.file, f]));
    const gzipPerIsland: Record<string, number> = {};
    const brPerIsland: Record<string, number> = {};
    for (const [name, file] of Object.entries(manifest.islands)) {
      const loaded = closure(file, closure(manifest.runtime, new Set()));
      if (catalogs[name]) loaded.add(catalogs[name].en);
      const all = [...loaded].map((f) => byFile.get(f)!);
      gzipPerIsland[name] = all.reduce((sum, f) => sum + f.gzipBytes, 0);
      brPerIsland[name] = all.reduce((sum, f) => sum + f.brBytes, 0);
    }
    return { outDir, manifest, files, gzipPerIsland, brPerIsland };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

/**
 * Every island registered so far (importing islands/mod.ts registers them all), after checking that
 * each registration points at the module whose default export it is.
 */
export async function verifiedIslands(): Promise<IslandDefinition[]> {
  const islands = registeredIslands();
  for (const island of islands) {
    const mod = await import(island.module.href);
    if (mod.default !== island.component) {
      throw new Error(`Island "${island.name}": the default export of ${island.module.href} is not its component`);
    }
  }
  return islands;
}

async function runDenoBundle(entries: string[], outDir: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      `--config=${decodeURIComponent(new URL("deno.json", ROOT).pathname)}`,
      "--platform=browser",
      "--code-splitting",
      "--minify",
      `--outdir=${outDir}`,
      ...entries,
    ],
    cwd: decodeURIComponent(ROOT.pathname),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`deno bundle failed (exit ${out.code}):\n${text}`);
  }
}

/** Static `import … from "./x.js"` and `import "./x.js"` targets in esbuild's ESM output. */
function staticImports(code: string): string[] {
  const deps = new Set<string>();
  for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"'/]+\.js)["']/g)) deps.add(m[1]);
  return [...deps].sort();
}

/** `import("./x.js")` targets: chunks loaded later (janus.js after joining), not modulepreloaded. */
function dynamicImports(code: string): string[] {
  return [...new Set([...code.matchAll(/\bimport\(\s*["']\.\/([^"'/]+\.js)["']\s*\)/g)].map((m) => m[1]))].sort();
}
