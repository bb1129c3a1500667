import assert from "node:assert/strict";
import { coverRect, FrameRate } from "./compose.ts";

Deno.test("a background image covers the frame, centred, without stretching", () => {
  assert.deepEqual(coverRect(640, 360, 640, 360), [0, 0, 640, 360]);
  // A square image on a 16:9 frame: the middle band of the image.
  const [sx, sy, sw, sh] = coverRect(1000, 1000, 1600, 900);
  assert.equal(sx, 0);
  assert.equal(sw, 1000);
  assert.ok(Math.abs(sh - 562.5) < 1e-9 && Math.abs(sy - 218.75) < 1e-9);
  assert.ok(Math.abs(sw / sh - 16 / 9) < 1e-9, "aspect kept");
});

Deno.test("frame rate counts the frames of the last window only", () => {
  const r = new FrameRate(1000);
  for (let t = 0; t < 3000; t += 40) r.tick(t); // 25 per second
  assert.equal(r.fps(2980), 25);
  assert.equal(r.fps(10_000), 0);
});
