// Background effects' cost in headless Chromium: frames per second the published track delivers
// at 640×360 (counted with MediaStreamTrackProcessor over 10 s), masks per second the segmenter
// made in the same window (the frames are composited with the newest mask), and Chromium's CPU
// seconds, for the raw camera (baseline), blur and a background image, side by side in one run.
// Usage: deno run -A bench/effects.ts   (builds the islands first; goal: blur ≥ 24 fps)
// BENCH_SECONDS=n changes the window; BENCH_PATH=canvas measures the main-thread fallback instead.

import { browserUnavailable, buildIslands, launchBrowser } from "../tests/support/browser.ts";
import { startServer } from "../tests/support/server.ts";
import { effectsChunk, openEffectsPage, personCamera } from "../tests/support/effects_page.ts";
import { descendants } from "../tests/support/proc_tree.ts";
import { cpuSeconds } from "./support/sip_phone.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 10);
const CANVAS = Deno.env.get("BENCH_PATH") === "canvas";

interface Row {
  name: string;
  fps: number;
  masks: number;
  maskMs: number;
  cpu: number;
  backend: string;
}

if (import.meta.main) {
  const skip = browserUnavailable();
  if (skip) {
    console.log(`skipped: ${skip}`);
    Deno.exit(0);
  }
  await buildIslands();
  const dir = await Deno.makeTempDir({ prefix: "talkspace-bench-effects-" });
  const server = await startServer();
  const browser = await launchBrowser([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    `--use-file-for-fake-video-capture=${await personCamera(dir)}`,
  ]);
  const chromiumCpu = () =>
    descendants(Deno.pid).filter((p) => p !== server.pid && !descendants(server.pid).includes(p))
      .reduce((sum, p) => sum + (cpuSeconds(p) ?? 0), 0);
  const loadBefore = Deno.loadavg();
  try {
    const page = await browser.newPage();
    await openEffectsPage(page, server.url);
    const run = <T>(expr: string) => page.evaluate<T>(expr);
    await run("fx.camera(640, 360)");
    await run(`fx.load(${JSON.stringify(effectsChunk())})`);
    const rows: Row[] = [];
    const stats = () =>
      run<{ masks: number; segmentMs: number }>("fx.effect ? fx.effect.stats : { masks: 0, segmentMs: 0 }");
    for (const name of ["none", "blur", "image"]) {
      let backend = "-";
      const opts = CANVAS ? "{ insertable: false }" : "{}";
      if (name !== "none") backend = await run<string>(`fx.start(${JSON.stringify(name)}, null, ${opts})`);
      const which = JSON.stringify(name === "none" ? "raw" : "fx");
      await run(`fx.countFrames(${which}, 1000)`); // warm up
      const [cpu0, s0] = [chromiumCpu(), await stats()];
      const fps = await run<number>(`fx.countFrames(${which}, ${SECONDS * 1000})`);
      const [cpu, s1] = [chromiumCpu() - cpu0, await stats()];
      const masks = s1.masks - s0.masks;
      rows.push({
        name,
        fps,
        masks: masks / SECONDS,
        maskMs: masks ? (s1.segmentMs - s0.segmentMs) / masks : 0,
        cpu,
        backend,
      });
      if (name !== "none") await run("fx.stop(true)");
    }
    const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    console.log(
      `\n640×360 person camera, ${SECONDS} s each, ${CANVAS ? "main-thread fallback" : "worker"} path; ` +
        `load average ${load(loadBefore)} before, ${load(Deno.loadavg())} after (2 cores, shared)`,
    );
    console.log("effect   fps  masks/s  ms/mask   CPU s  CPU %   segmenter");
    for (const r of rows) {
      const masks = r.name === "none" ? "-" : r.masks.toFixed(1);
      const ms = r.name === "none" ? "-" : r.maskMs.toFixed(0);
      console.log(
        `${r.name.padEnd(8)} ${r.fps.toFixed(1).padStart(4)} ${masks.padStart(8)} ${ms.padStart(8)} ${
          r.cpu.toFixed(1).padStart(7)
        } ${(r.cpu / SECONDS * 100).toFixed(0).padStart(5)}%   ${r.backend}`,
      );
    }
    const base = rows[0].fps;
    console.log(
      `blur ÷ none: ${(rows[1].fps / base).toFixed(2)}; goal blur ≥ 24 fps: ${rows[1].fps >= 24 ? "met" : "missed"}` +
        ` (ms/mask: frame handed to the segmenter → mask, on the main thread)`,
    );
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
