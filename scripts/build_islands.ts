// Builds the browser bundles for islands into _build/islands (run by `deno task start`/`dev`).
// Usage: deno run -A scripts/build_islands.ts [outDir]

import { buildIslands } from "../lib/islands/build.ts";

if (import.meta.main) {
  const started = performance.now();
  const result = await buildIslands({ outDir: Deno.args[0] });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  for (const f of result.files) {
    console.log(`  ${f.file.padEnd(32)} ${kb(f.bytes).padStart(9)} ${kb(f.gzipBytes).padStart(9)} gzip`);
  }
  for (const [name, gz] of Object.entries(result.gzipPerIsland)) {
    console.log(`  runtime + ${name}: ${kb(gz)} gzip`);
  }
  console.log(`islands built into ${result.outDir} in ${Math.round(performance.now() - started)} ms`);
}
