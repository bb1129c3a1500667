// Background effects' cost in headless Chromium: frames per second the published track delivers
// at 640×360 (counted with MediaStreamTrackProcessor over 10 s) and Chromium's CPU seconds in the
// same window, for the raw camera (baseline), blur and a background image, side by side in one run.
// Usage: deno run -A bench/effects.ts   (builds the islands first; goal: blur ≥ 24 fps)

import { browserUnavailable, buildIslands, launchBrowser } from "../tests/support/browser.ts";
import { startServer } from "../tests/support/server.ts";
import { effectsChunk, openEffectsPage } from "../tests/support/effects_page.ts";
import { descendants } from "../tests/support/proc_tree.ts";
import { cpuSeconds } from "./support/sip_phone.ts";

const SECONDS = Number(Deno.env.get("BENCH_SECONDS") ?? 10);

if (import.meta.main) {
  const skip = browserUnavailable();
  if (skip) {
    console.log(`skipped: ${skip}`);
    Deno.exit(0);
  }
  await buildIslands();
  const dir = await Deno.makeTempDir({ prefix: "talkspace-bench-effects-" });
  const camera = `${dir}/camera.y4m`;
  const ff = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "4"]
      .concat(["-pix_fmt", "yuv420p", camera]),
  }).output();
  if (!ff.success) throw new Error(new TextDecoder().decode(ff.stderr));
  const server = await startServer();
  const browser = await launchBrowser([
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    `--use-file-for-fake-video-capture=${camera}`,
  ]);
  const chromiumCpu = () =>
    descendants(Deno.pid).filter((p) => p !== server.pid && !descendants(server.pid).includes(p))
      .reduce((sum, p) => sum + (cpuSeconds(p) ?? 0), 0);
  try {
    const page = await browser.newPage();
    await openEffectsPage(page, server.url);
    const run = <T>(expr: string) => page.evaluate<T>(expr);
    await run("fx.camera(640, 360)");
    await run(`fx.load(${JSON.stringify(effectsChunk())})`);
    const rows: { name: string; fps: number; cpu: number; backend: string }[] = [];
    for (const name of ["none", "blur", "image"]) {
      let backend = "-";
      if (name !== "none") backend = await run<string>(`fx.start(${JSON.stringify(name)})`);
      await run(`fx.countFrames(${JSON.stringify(name === "none" ? "raw" : "fx")}, 1000)`); // warm up
      const cpu0 = chromiumCpu();
      const fps = await run<number>(
        `fx.countFrames(${JSON.stringify(name === "none" ? "raw" : "fx")}, ${SECONDS * 1000})`,
      );
      const cpu = chromiumCpu() - cpu0;
      rows.push({ name, fps, cpu, backend });
      if (name !== "none") await run("fx.stop(true)");
    }
    console.log(`\n640×360 test pattern, ${SECONDS} s each, load average ${Deno.loadavg().join(" ")}`);
    console.log("effect   fps    CPU s  CPU %   segmenter");
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(8)} ${r.fps.toFixed(1).padStart(5)} ${r.cpu.toFixed(1).padStart(7)} ${
          (r.cpu / SECONDS * 100).toFixed(0).padStart(5)
        }%  ${r.backend}`,
      );
    }
    const base = rows[0].fps;
    console.log(
      `blur ÷ none: ${(rows[1].fps / base).toFixed(2)}; goal blur ≥ 24 fps: ${rows[1].fps >= 24 ? "met" : "missed"}`,
    );
  } finally {
    await browser.close();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}
