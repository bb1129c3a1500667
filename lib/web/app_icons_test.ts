import assert from "node:assert/strict";
import { APP_ICONS, parseIconSvg, renderIcon, SAFE_ZONE_RADIUS } from "./app_icons.ts";
import { decodePng } from "../common/png.ts";

const STATIC = new URL("../../static/", import.meta.url);

Deno.test("the committed app icons are what static/favicon.svg draws (else run scripts/make_icons.ts)", async () => {
  const design = parseIconSvg(await Deno.readTextFile(new URL("favicon.svg", STATIC)));
  for (const icon of APP_ICONS) {
    const committed = await decodePng(await Deno.readFile(new URL(icon.file, STATIC)));
    assert.equal(committed.width, icon.size, icon.file);
    assert.equal(committed.height, icon.size, icon.file);
    const drawn = renderIcon(design, icon.size, icon.purpose);
    assert.ok(committed.data.every((v, i) => v === drawn.data[i]), `static/${icon.file} is stale`);
  }
});

Deno.test("a maskable icon is opaque to the edges and keeps the glyph inside the safe zone", async () => {
  const design = parseIconSvg(await Deno.readTextFile(new URL("favicon.svg", STATIC)));
  const size = 192;
  const img = renderIcon(design, size, "maskable");
  const [br, bg, bb] = img.data;
  let glyphPixels = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      assert.equal(img.data[o + 3], 255, `pixel ${x},${y} is not opaque`);
      if (img.data[o] === br && img.data[o + 1] === bg && img.data[o + 2] === bb) continue;
      glyphPixels++;
      const r = Math.hypot(x + 0.5 - size / 2, y + 0.5 - size / 2);
      assert.ok(r <= SAFE_ZONE_RADIUS * size, `glyph pixel ${x},${y} is outside the safe zone (r=${r.toFixed(1)})`);
    }
  }
  assert.ok(glyphPixels > size * size * 0.05, "the glyph is missing");
  // The "any" icon keeps the favicon's rounded corners: its corner pixel is transparent.
  assert.equal(renderIcon(design, size, "any").data[3], 0);
});

Deno.test("the favicon parser draws rect and straight paths and refuses what it cannot draw", () => {
  const design = parseIconSvg(
    `<svg viewBox="0 0 4 4"><rect width="4" height="4" fill="#000000"/><path d="M0 0h2v2H0z" fill="#fff"/></svg>`,
  );
  const img = renderIcon(design, 4, "any");
  assert.deepEqual([...img.data.subarray(0, 4)], [255, 255, 255, 255]); // inside the path
  assert.deepEqual([...img.data.subarray(12, 16)], [0, 0, 0, 255]); // top right: the rect
  assert.throws(() => parseIconSvg(`<svg viewBox="0 0 4 4"><circle r="1"/></svg>`), /<circle> is not drawn/);
  assert.throws(
    () => parseIconSvg(`<svg viewBox="0 0 4 4"><rect width="4" height="4"/><path d="M0 0C1 1 2 2 3 3z"/></svg>`),
    /path command C is not supported/,
  );
});
