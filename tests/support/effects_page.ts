// A plain page on the real server's origin that loads the built effects chunk (as the meeting
// controller does, by a dynamic import) and drives it: for tests/effects_browser_test.ts and
// bench/effects.ts. Served by playwright's page.route with the meeting page's script policy.

import type { Page } from "playwright-core";

const ROOT = new URL("../../", import.meta.url).pathname;

/** The effects chunk's file name in the island build (`effects-<hash>.js`). */
export function effectsChunk(buildDir = `${ROOT}_build/islands`): string {
  const manifest = JSON.parse(Deno.readTextFileSync(`${buildDir}/manifest.json`)) as { chunks: string[] };
  const chunk = manifest.chunks.find((c) => c.startsWith("effects-"));
  if (!chunk) throw new Error("no effects chunk in the island build: run scripts/build_islands.ts");
  return chunk;
}

export const EFFECTS_PAGE_PATH = "/__effects-test";

/** Where the person and the background are in personCamera's 640×360 frame: [x, y, w, h]. */
export const PERSON_FACE: [number, number, number, number] = [400, 30, 80, 90];
export const BACKGROUND_BOX: [number, number, number, number] = [16, 16, 240, 328];

/**
 * A fake camera for Chromium (`--use-file-for-fake-video-capture`): a person (tests/fixtures/
 * astronaut.jpg, NASA's public-domain portrait) on the right of a 640×360 frame, in front of a fine
 * checkerboard on the left: sharp everywhere, so a blurred or replaced background shows in numbers.
 */
export async function personCamera(dir: string): Promise<string> {
  const file = `${dir}/camera.y4m`;
  const checker = "nullsrc=s=640x360:r=30,geq=lum='if(mod(floor(X/8)+floor(Y/8)\\,2)\\,220\\,40)':cb=128:cr=128";
  const out = await new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-loglevel",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-i",
      checker,
      "-i",
      `${ROOT}tests/fixtures/astronaut.jpg`,
    ]
      .concat(["-filter_complex", "[0][1]overlay=280:0,format=yuv420p", "-t", "2", file]),
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return file;
}

/** The policy the meeting page sends (lib/web/middleware.ts with cspWasm), with a fixed nonce. */
const CSP = "default-src 'self'; script-src 'nonce-effects' 'strict-dynamic' 'wasm-unsafe-eval'; " +
  "connect-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; object-src 'none'";

// Runs in the page. `window.fx` holds the camera, the effect and helpers to measure them.
const SCRIPT = `
const fx = window.fx = {};
fx.camera = async (w, h) => {
  const s = await navigator.mediaDevices.getUserMedia({ video: { width: w, height: h, frameRate: 30 }, audio: false });
  fx.raw = s.getVideoTracks()[0];
  return fx.raw.getSettings();
};
fx.load = async (chunk) => { fx.mod = await import("/_islands/" + chunk); return true; };
fx.start = async (kind, image, opts) => {
  fx.effect = await fx.mod.VideoEffect.create(fx.raw, fx.mod.backgroundFor(kind, image ?? "bg-dusk.webp"), opts);
  return fx.effect.backend;
};
// The stopped effect stays in fx.last, to see that its loops and worker end.
fx.stop = (keepSource) => { fx.last = fx.effect; fx.effect?.stop({ keepSource }); fx.effect = null; };
// Frames a track delivers over ms (MediaStreamTrackProcessor counts every frame, none skipped).
fx.countFrames = async (which, ms) => {
  const track = (which === "raw" ? fx.raw : fx.effect.track).clone();
  const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
  let n = 0; const end = performance.now() + ms;
  while (performance.now() < end) { const { value } = await reader.read(); value.close(); n++; }
  reader.cancel(); track.stop();
  return n / (ms / 1000);
};
// One frame of a track as RGBA, in a box.
fx.pixels = async (which, box) => {
  const track = (which === "raw" ? fx.raw : fx.effect.track).clone();
  const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
  await (await reader.read()).value.close(); // the first may be stale
  const frame = (await reader.read()).value;
  const c = new OffscreenCanvas(frame.displayWidth, frame.displayHeight);
  const ctx = c.getContext("2d"); ctx.drawImage(frame, 0, 0); frame.close(); reader.cancel(); track.stop();
  const [x, y, w, h] = box(c.width, c.height);
  return { d: ctx.getImageData(x, y, w, h).data, w, h };
};
// The mean difference between neighbouring pixels in a box: high for the camera's pattern, low
// where a blur or a smooth background is drawn.
fx.detail = async (which, box) => {
  const { d, w, h } = await fx.pixels(which, box);
  let sum = 0, n = 0;
  for (let r = 0; r < h; r++) for (let q = 1; q < w; q++) {
    const i = (r * w + q) * 4, j = i - 4;
    sum += Math.abs(d[i] - d[j]) + Math.abs(d[i + 1] - d[j + 1]) + Math.abs(d[i + 2] - d[j + 2]); n++;
  }
  return sum / n;
};
// The mean colour [r, g, b] in a box.
fx.colour = async (which, box) => {
  const { d } = await fx.pixels(which, box);
  const m = [0, 0, 0];
  for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) m[k] += d[i + k];
  return m.map((v) => v / (d.length / 4));
};
fx.setBackground = (kind, image) => fx.effect.setBackground(fx.mod.backgroundFor(kind, image ?? "bg-dusk.webp"));
fx.mic = async () => {
  const s = await navigator.mediaDevices.getUserMedia({ audio: true });
  fx.rawMic = s.getAudioTracks()[0];
  fx.ns = await fx.mod.NoiseSuppression.create(fx.rawMic);
  return { kind: fx.ns.track.kind, state: fx.ns.track.readyState, differs: fx.ns.track.id !== fx.rawMic.id };
};
// Peak level of a track over ms, through an AnalyserNode.
fx.level = async (which, ms) => {
  const track = which === "raw" ? fx.rawMic : fx.ns.track;
  const ctx = new AudioContext(); await ctx.resume();
  const an = ctx.createAnalyser(); ctx.createMediaStreamSource(new MediaStream([track])).connect(an);
  const buf = new Float32Array(an.fftSize); let peak = 0; const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    an.getFloatTimeDomainData(buf); for (const v of buf) peak = Math.max(peak, Math.abs(v));
  }
  await ctx.close();
  return peak;
};
fx.ready = true;
`;

/** Serves the test page at EFFECTS_PAGE_PATH on `origin` for `page` and opens it. */
export async function openEffectsPage(page: Page, origin: string): Promise<void> {
  await page.route(`${origin}${EFFECTS_PAGE_PATH}`, (route) =>
    route.fulfill({
      status: 200,
      headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": CSP },
      body: `<!doctype html><html><head><title>effects</title></head><body>` +
        `<script type="module" nonce="effects">${SCRIPT}</script></body></html>`,
    }));
  await page.goto(`${origin}${EFFECTS_PAGE_PATH}`);
  await page.waitForFunction(() => (globalThis as unknown as { fx?: { ready?: boolean } }).fx?.ready === true);
}
