// Builds the browser bundles for islands into _build/islands and the hashed copies of static/ into
// _build/static, each file with brotli and gzip siblings (run by `deno task start`/`dev`/`build`).
// Usage: deno run -A scripts/build_islands.ts [islandsOutDir] [staticOutDir]

import "../islands/mod.ts";
import { buildIslands, verifiedIslands } from "../lib/web/islands/build.ts";
import { buildStaticAssets } from "../lib/web/islands/assets.ts";
import { EFFECT_FILES, effectFilePath } from "../lib/meetings/client/effects/vendor.ts";
import { EFFECT_ASSETS } from "../lib/meetings/client/effects/assets.ts";

if (import.meta.main) {
  const started = performance.now();
  const [islands, statics] = await Promise.all([
    buildIslands({ outDir: Deno.args[0], islands: await verifiedIslands() }),
    // The video and audio effects' wasm, model and worklet, served from our origin like static/.
    buildStaticAssets({
      outDir: Deno.args[1],
      extra: Object.fromEntries(Object.keys(EFFECT_FILES).map((name) => [name, effectFilePath(name)])),
    }),
  ]);
  // The effects chunk names these files by their hashed URLs (assets.ts): stale names would 404.
  for (const [name, url] of Object.entries(EFFECT_ASSETS)) {
    const built = statics.manifest.files[name]?.file;
    if (`/static/${built}` !== url) {
      throw new Error(
        `lib/meetings/client/effects/assets.ts names ${url} for ${name}, the build made ${built}: ` +
          "run `deno run -A scripts/effects_assets.ts`",
      );
    }
  }
  const kb = (n: number | undefined) => n === undefined ? "-" : `${(n / 1024).toFixed(1)} KB`;
  const row = (name: string, bytes: number, gz?: number, br?: number) =>
    console.log(`  ${name.padEnd(34)} ${kb(bytes).padStart(9)} ${kb(gz).padStart(9)} gzip ${kb(br).padStart(9)} br`);
  for (const f of islands.files) row(f.file, f.bytes, f.gzipBytes, f.brBytes);
  for (const [name, gz] of Object.entries(islands.gzipPerIsland)) {
    console.log(`  runtime + ${name}: ${kb(gz)} gzip, ${kb(islands.brPerIsland[name])} br (loaded with the page)`);
  }
  for (const f of statics.files) row(f.file, f.bytes, f.gzipBytes, f.brBytes);
  console.log(
    `islands built into ${islands.outDir}, static files into ${statics.outDir} in ${
      Math.round(performance.now() - started)
    } ms`,
  );
}
