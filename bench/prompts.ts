// The phone menu's prompt preparation at gateway start (gateway/ivr/prompts.ts loadCallPrompts):
// cold (an empty DATA_DIR: every prompt synthesized by espeak-ng and converted by sox) and warm (the
// cache in DATA_DIR/prompts), for the time start-up waits (the install language) and until every
// language is ready, at several concurrencies. The baseline is concurrency 1's start-up column: the
// install language's prompts one at a time, which is what start-up did when they were English only.
//
//   deno run -A bench/prompts.ts
//
// Options: BENCH_RUNS (3, the median is shown), BENCH_CONCURRENCY (e.g. "1,2,4").

import { setQuiet } from "../lib/common/log.ts";
import { loadCallPrompts, PROMPT_NAMES } from "../gateway/ivr/prompts.ts";
import { LOCALES } from "../lib/i18n/locales.ts";
import { median, positiveInt, printTable } from "./support/common.ts";

setQuiet(true);
const runs = positiveInt("BENCH_RUNS", 3);
const levels = (Deno.env.get("BENCH_CONCURRENCY") ?? "1,2,4").split(",").map(Number).filter((n) => n >= 1);

async function once(concurrency: number, dataDir: string) {
  const t0 = performance.now();
  const prompts = await loadCallPrompts(dataDir, { install: "en", concurrency });
  const startup = performance.now() - t0;
  await prompts.settled();
  return { startup, all: performance.now() - t0 };
}

const rows: string[][] = [];
console.log(`load average before: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
console.log(`${PROMPT_NAMES.length} prompts × ${LOCALES.length} languages, ${navigator.hardwareConcurrency} CPUs`);
for (const concurrency of levels) {
  const cold = { startup: [] as number[], all: [] as number[] };
  const warm = { startup: [] as number[], all: [] as number[] };
  for (let i = 0; i < runs; i++) {
    const dir = await Deno.makeTempDir({ prefix: "talkspace-prompts-bench-" });
    try {
      const c = await once(concurrency, dir);
      cold.startup.push(c.startup);
      cold.all.push(c.all);
      const w = await once(concurrency, dir);
      warm.startup.push(w.startup);
      warm.all.push(w.all);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const ms = (v: number[]) => `${median(v).toFixed(0)} ms`;
  rows.push([`concurrency ${concurrency}`, ms(cold.startup), ms(cold.all), ms(warm.startup), ms(warm.all)]);
}
printTable(["", "cold: start-up waits", "cold: all languages", "warm: start-up waits", "warm: all languages"], rows);
console.log(`load average after: ${(await Deno.readTextFile("/proc/loadavg")).trim()}`);
