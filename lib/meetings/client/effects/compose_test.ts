import assert from "node:assert/strict";
import { coverRect } from "./compose.ts";

Deno.test("a background image covers the frame, centred, without stretching", () => {
  assert.deepEqual(coverRect(640, 360, 640, 360), [0, 0, 640, 360]);
  // A square image on a 16:9 frame: the middle band of the image.
  const [sx, sy, sw, sh] = coverRect(1000, 1000, 1600, 900);
  assert.equal(sx, 0);
  assert.equal(sw, 1000);
  assert.ok(Math.abs(sh - 562.5) < 1e-9 && Math.abs(sy - 218.75) < 1e-9);
  assert.ok(Math.abs(sw / sh - 16 / 9) < 1e-9, "aspect kept");
});
