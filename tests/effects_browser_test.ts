// The video and audio effects in real Chromium against the real server's build: blur and a
// background really change the background, noise suppression gives a live track, turning off gives
// the camera back, and nothing of the effects is fetched before one is turned on.

import assert from "node:assert/strict";
import { browserUnavailable, buildIslands, launchBrowser } from "./support/browser.ts";
import { startServer } from "./support/server.ts";
import { effectsChunk, openEffectsPage } from "./support/effects_page.ts";
import { EFFECT_ASSETS } from "../lib/meetings/client/effects/assets.ts";

const skip = browserUnavailable();

/** A detailed test pattern at 640×360 as the fake camera (Chromium's own is nearly flat). */
async function patternCamera(dir: string): Promise<string> {
  const file = `${dir}/camera.y4m`;
  const out = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "2"]
      .concat(["-pix_fmt", "yuv420p", file]),
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return file;
}

Deno.test({
  name: "effects: blur and an image change the background, noise suppression is live, off restores, loaded only on use",
  ignore: !!skip,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await buildIslands();
    // The meeting bundle must not pull the effects in: only a dynamic import names the chunk.
    const manifest = JSON.parse(await Deno.readTextFile("_build/islands/manifest.json"));
    const chunk = effectsChunk();
    const closure = new Set<string>();
    const walk = (f: string) => {
      if (closure.has(f)) return;
      closure.add(f);
      for (const d of manifest.imports[f] ?? []) walk(d);
    };
    walk(manifest.islands.MeetingRoom);
    assert.ok(!closure.has(chunk), "the effects chunk is not a static import of MeetingRoom");
    const meetingCode = await Deno.readTextFile(`_build/islands/${manifest.islands.MeetingRoom}`);
    assert.ok(meetingCode.includes(`import("./${chunk}")`), "MeetingRoom imports the effects dynamically");

    const dir = await Deno.makeTempDir({ prefix: "talkspace-effects-" });
    const server = await startServer();
    const browser = await launchBrowser([
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      `--use-file-for-fake-video-capture=${await patternCamera(dir)}`,
    ]);
    try {
      const page = await browser.newPage();
      const requested: string[] = [];
      page.on("request", (r) => requested.push(new URL(r.url()).pathname));
      await openEffectsPage(page, server.url);
      // Runs an expression against the page's test object `fx` (tests/support/effects_page.ts).
      const run = <T>(expr: string) => page.evaluate<T>(expr);
      const settings = await run<{ width: number }>("fx.camera(640, 360)");
      assert.equal(settings.width, 640);
      const effectFiles = new Set([`/_islands/${chunk}`, ...Object.values(EFFECT_ASSETS)]);
      assert.deepEqual(requested.filter((p) => effectFiles.has(p)), [], "nothing of the effects before one is on");

      await run(`fx.load(${JSON.stringify(chunk)})`);
      const backend = await run<string>('fx.start("blur")');
      assert.match(backend, /WebGL/);
      assert.ok(requested.includes(EFFECT_ASSETS["selfie_segmentation_solution_simd_wasm_bin.wasm"]));
      assert.ok(requested.includes(EFFECT_ASSETS["selfie_segmentation_landscape.tflite"]));

      // The test pattern has no person: the whole frame is background, blurred or replaced.
      const detail = (which: string) => run<number>(`fx.detail("${which}", (w, h) => [0, 0, w, h])`);
      const raw = await detail("raw");
      const blurred = await detail("fx");
      assert.ok(raw > 4, `the camera pattern has detail (${raw})`);
      assert.ok(blurred < raw * 0.6, `blur smooths the background: ${blurred} vs ${raw}`);

      await run("fx.stop(true)");
      await run('fx.start("image", "bg-garden.webp")');
      const image = await detail("fx");
      assert.ok(image < raw * 0.3, `the image replaces the background: ${image} vs ${raw}`);
      assert.ok(requested.includes(EFFECT_ASSETS["bg-garden.webp"]));

      // Off, keeping the camera: the raw track is live and as detailed as before.
      await run("fx.stop(true)");
      const state = await run<string>("fx.raw.readyState");
      assert.equal(state, "live");
      const after = await detail("raw");
      assert.ok(after > raw * 0.7, `the camera is back as it was: ${after} vs ${raw}`);

      const mic = await run<Record<string, unknown>>("fx.mic()");
      assert.deepEqual(mic, { kind: "audio", state: "live", differs: true });
      const level = await run<number>('fx.level("ns", 1500)');
      assert.ok(level > 0.001, `the suppressed track carries sound (peak ${level})`);
      assert.ok(requested.includes(EFFECT_ASSETS["rnnoise_simd.wasm"]), "RNNoise's wasm came from our origin");
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
