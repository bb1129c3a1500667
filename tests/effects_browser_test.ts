// The video and audio effects in real Chromium against the real server's build: blur and a
// background really change the background and keep the person (in the worker and in the
// main-thread fallback), noise suppression gives a live track, turning off gives the camera back
// and leaves no worker or loop behind, and nothing of the effects is fetched before one is on.

import assert from "node:assert/strict";
import { browserUnavailable, buildIslands, launchBrowser } from "./support/browser.ts";
import { startServer } from "./support/server.ts";
import type { Page } from "playwright-core";
import { BACKGROUND_BOX, effectsChunk, openEffectsPage, PERSON_FACE, personCamera } from "./support/effects_page.ts";
import { EFFECT_ASSETS } from "../lib/meetings/client/effects/assets.ts";

const skip = browserUnavailable();

Deno.test({
  name:
    "effects: blur and an image replace the background and keep the person, in a worker or not; noise suppression is live; off restores and leaves nothing running; loaded only on use",
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
      `--use-file-for-fake-video-capture=${await personCamera(dir)}`,
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
      const workerChunks = manifest.chunks.filter((c: string) => c.startsWith("effects_worker-"));
      assert.equal(workerChunks.length, 1, "the effects worker is a chunk of its own");
      const effectFiles = new Set(
        [chunk, ...workerChunks].map((c) => `/_islands/${c}`).concat(Object.values(EFFECT_ASSETS)),
      );
      assert.deepEqual(requested.filter((p) => effectFiles.has(p)), [], "nothing of the effects before one is on");

      await run(`fx.load(${JSON.stringify(chunk)})`);
      const spawned = page.waitForEvent("worker");
      const backend = await run<string>('fx.start("blur")');
      // Headless Chromium has only SwiftShader: the model then runs on the CPU (wasm), 12 times faster.
      assert.equal(backend, "wasm (WebGL is software)");
      assert.ok(requested.includes(EFFECT_ASSETS["selfie_segmentation_solution_simd_wasm_bin.wasm"]));
      assert.ok(requested.includes(EFFECT_ASSETS["selfie_segmentation_landscape.tflite"]));
      // The frame loop runs in a worker: the effect's own chunk, from our origin.
      const worker = new URL((await spawned).url());
      assert.equal(worker.origin, server.url);
      assert.equal(worker.pathname, `/_islands/${workerChunks[0]}`);
      assert.equal(page.workers().length, 1);

      // Mean neighbour difference in the checkerboard (all background) and on the face (the person).
      const detail = (which: string, box: number[]) =>
        run<number>(`fx.detail("${which}", () => ${JSON.stringify(box)})`);
      const raw = { bg: await detail("raw", BACKGROUND_BOX), face: await detail("raw", PERSON_FACE) };
      assert.ok(raw.bg > 40 && raw.face > 4, `the camera is detailed: ${JSON.stringify(raw)}`);
      const looks = async (what: string) => {
        await page.waitForFunction(() => (globalThis as unknown as Fx).fx.effect.stats.masks >= 3);
        const bg = await detail("fx", BACKGROUND_BOX), face = await detail("fx", PERSON_FACE);
        assert.ok(bg < raw.bg * 0.2, `${what}: the background is smooth (${bg} vs ${raw.bg})`);
        assert.ok(face > raw.face * 0.8, `${what}: the person is kept sharp (${face} vs ${raw.face})`);
      };
      await looks("blur");
      const fps = await run<number>('fx.countFrames("fx", 2000)');
      assert.ok(fps >= 15, `blur keeps near the camera's 30 fps (${fps}), the segmenter apart`);

      // Changing the background while on (the controller's setBackground): the worker draws the image.
      const colour = () => run<number[]>(`fx.colour("fx", () => ${JSON.stringify(BACKGROUND_BOX)})`);
      const grey = await colour();
      await run('fx.setBackground("image", "bg-garden.webp")');
      assert.ok(requested.includes(EFFECT_ASSETS["bg-garden.webp"]));
      const garden = await colour();
      assert.ok(
        Math.max(...garden.map((v, i) => Math.abs(v - grey[i]))) > 20,
        `the image is drawn: ${garden} vs ${grey}`,
      );
      await looks("blur changed to an image");
      await stopped(page, true);
      await run('fx.start("image", "bg-garden.webp")');
      await looks("image");
      const started = await colour();
      assert.ok(started.every((v, i) => Math.abs(v - garden[i]) < 10), `the same image: ${started} vs ${garden}`);
      await stopped(page, true);

      // Browsers without insertable streams: canvas.captureStream on the main thread, same result.
      await run('fx.start("blur", null, { insertable: false })');
      assert.equal(page.workers().length, 0, "the fallback runs no worker");
      await looks("blur without insertable streams");
      await stopped(page, true);

      // On and off again and again: each time its worker, both loops and its track end.
      for (let i = 0; i < 4; i++) {
        await run(i % 2 ? 'fx.start("image")' : 'fx.start("blur")');
        await page.waitForFunction(() => (globalThis as unknown as Fx).fx.effect.stats.masks >= 1);
        await stopped(page, true);
      }

      // Off, keeping the camera: the raw track is live and as detailed as before.
      const state = await run<string>("fx.raw.readyState");
      assert.equal(state, "live");
      const after = await detail("raw", BACKGROUND_BOX);
      assert.ok(after > raw.bg * 0.7, `the camera is back as it was: ${after} vs ${raw.bg}`);

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

/** The test page's object, as far as these waits read it (tests/support/effects_page.ts). */
type Fx = { fx: { effect: { stats: { masks: number } } } };

/** Stops the page's effect and waits until its loops and worker have ended and its track with them. */
async function stopped(page: Page, keepSource: boolean) {
  const closed = page.workers().map((w) => w.waitForEvent("close", { timeout: 5000 }));
  await page.evaluate(`fx.stop(${keepSource})`);
  const done = await page.evaluate(
    "Promise.race([fx.last.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))])",
  );
  assert.ok(done, "the effect's loops end within 5 s of stop()");
  await Promise.all(closed);
  assert.equal(page.workers().length, 0, "no effect worker is left");
  assert.equal(await page.evaluate("fx.last.track.readyState"), "ended");
}
