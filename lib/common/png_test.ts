import assert from "node:assert/strict";
import { crc32, decodePng, encodePng, readPngHeader } from "./png.ts";

Deno.test("crc32 matches the standard check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new TextEncoder().encode("IEND")), 0xae426082);
});

Deno.test("encodePng writes a PNG that decodes to the same pixels", async () => {
  const width = 5, height = 3;
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37) & 0xff;
  const png = await encodePng({ width, height, data });
  assert.deepEqual([...png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  assert.deepEqual(readPngHeader(png), { width, height, bitDepth: 8, colorType: 6, interlace: 0 });
  // The IEND chunk closes the file: length 0, type, CRC.
  assert.deepEqual([...png.subarray(-12)], [0, 0, 0, 0, 73, 69, 78, 68, 0xae, 0x42, 0x60, 0x82]);
  const back = await decodePng(png);
  assert.equal(back.width, width);
  assert.equal(back.height, height);
  assert.deepEqual(back.data, data);
});

Deno.test("decodePng undoes every row filter", async () => {
  // A 2×2 image written by hand with filters 1 (sub), 2 (up) and, via a third row, 4 (Paeth).
  const width = 2, height = 3;
  const pixels = [
    [10, 20, 30, 255, 15, 25, 35, 255],
    [12, 22, 32, 255, 200, 100, 50, 128],
    [0, 0, 0, 0, 255, 255, 255, 255],
  ];
  const filtered: number[] = [];
  const filters = [1, 2, 4];
  for (let y = 0; y < height; y++) {
    filtered.push(filters[y]);
    for (let x = 0; x < width * 4; x++) {
      const left = x >= 4 ? pixels[y][x - 4] : 0;
      const up = y > 0 ? pixels[y - 1][x] : 0;
      const upLeft = x >= 4 && y > 0 ? pixels[y - 1][x - 4] : 0;
      const p = left + up - upLeft;
      const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
      const paeth = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
      const predictor = filters[y] === 1 ? left : filters[y] === 2 ? up : paeth;
      filtered.push((pixels[y][x] - predictor) & 0xff);
    }
  }
  // Reuse the encoder's framing, then swap in the hand-filtered data.
  const png = await encodePng({ width, height, data: new Uint8Array(width * height * 4) });
  const idat = new Uint8Array(
    await new Response(
      new Blob([new Uint8Array(filtered)]).stream().pipeThrough(new CompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const header = png.subarray(0, 8 + 25);
  const body = new Uint8Array(12 + idat.length);
  const view = new DataView(body.buffer);
  view.setUint32(0, idat.length);
  body.set([73, 68, 65, 84], 4);
  body.set(idat, 8);
  view.setUint32(8 + idat.length, crc32(body.subarray(4, 8 + idat.length)));
  const file = new Uint8Array([...header, ...body, ...png.subarray(-12)]);
  const back = await decodePng(file);
  assert.deepEqual([...back.data], pixels.flat());
});

Deno.test("a damaged PNG is refused with the reason", async () => {
  const png = await encodePng({ width: 1, height: 1, data: new Uint8Array([1, 2, 3, 4]) });
  const broken = png.slice();
  broken[20] ^= 0xff; // inside IHDR
  assert.throws(() => readPngHeader(broken), /IHDR has a bad CRC/);
  assert.throws(() => readPngHeader(new Uint8Array([1, 2, 3])), /bad signature/);
  await assert.rejects(() => encodePng({ width: 2, height: 1, data: new Uint8Array(4) }), /expected 8 RGBA bytes/);
});
