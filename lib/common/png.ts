// A small PNG encoder and decoder for 8-bit RGBA images (colour type 6), with zlib from the
// platform's CompressionStream("deflate"): enough to write the app icons without a dependency and to
// read them back in tests.

import { concatBytes } from "./encoding.ts";
/** An image as straight (not premultiplied) RGBA bytes, row by row from the top. */
export interface RgbaImage {
  width: number;
  height: number;
  /** width × height × 4 bytes. */
  data: Uint8Array;
}

/** What a PNG's IHDR chunk says. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

const SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it (ISO 3309, the one zlib and gzip use too). */
export function crc32(bytes: Uint8Array, crc = 0xffffffff): number {
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

async function throughStream(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function chunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/**
 * Encodes `image` as a PNG: IHDR, one IDAT (filter type 0 on every row, which suits the flat
 * colours of icons), IEND. Same pixels, same bytes for a given platform zlib.
 */
export async function encodePng(image: RgbaImage): Promise<Uint8Array> {
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`a PNG needs a positive whole width and height, got ${width}×${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new Error(`expected ${width * height * 4} RGBA bytes for ${width}×${height}, got ${data.length}`);
  }
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header.set([8, 6, 0, 0, 0], 8); // 8 bits per sample, RGBA, deflate, adaptive filtering, no interlace
  const stride = width * 4;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) raw.set(data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const idat = await throughStream(raw, new CompressionStream("deflate"));
  return concatBytes(SIGNATURE, chunk("IHDR", header), chunk("IDAT", idat), chunk("IEND", new Uint8Array()));
}

interface Chunk {
  type: string;
  body: Uint8Array;
}

function* chunks(png: Uint8Array): Generator<Chunk> {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new Error("not a PNG (bad signature)");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let at = 8;
  while (at < png.length) {
    if (at + 12 > png.length) throw new Error("truncated PNG chunk");
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > png.length) throw new Error("truncated PNG chunk");
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (crc32(png.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) {
      throw new Error(`PNG chunk ${type} has a bad CRC`);
    }
    yield { type, body: png.subarray(at + 8, at + 8 + length) };
    at = end;
  }
}

/** The IHDR of a PNG (its first chunk), after checking the signature and the chunk's CRC. */
export function readPngHeader(png: Uint8Array): PngHeader {
  const first = chunks(png).next();
  if (first.done || first.value.type !== "IHDR" || first.value.body.length !== 13) {
    throw new Error("PNG does not start with an IHDR chunk");
  }
  const v = new DataView(first.value.body.buffer, first.value.body.byteOffset, 13);
  return {
    width: v.getUint32(0),
    height: v.getUint32(4),
    bitDepth: first.value.body[8],
    colorType: first.value.body[9],
    interlace: first.value.body[12],
  };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes an 8-bit RGBA, non-interlaced PNG (what encodePng writes, with any of the five row
 * filters); anything else is refused by name.
 */
export async function decodePng(png: Uint8Array): Promise<RgbaImage> {
  const header = readPngHeader(png);
  if (header.bitDepth !== 8 || header.colorType !== 6 || header.interlace !== 0) {
    throw new Error(
      `only 8-bit RGBA non-interlaced PNGs are decoded here (bit depth ${header.bitDepth}, colour type ${header.colorType}, interlace ${header.interlace})`,
    );
  }
  const idat: Uint8Array[] = [];
  for (const c of chunks(png)) if (c.type === "IDAT") idat.push(c.body);
  const joined = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of idat) {
    joined.set(c, at);
    at += c.length;
  }
  const raw = await throughStream(joined, new DecompressionStream("deflate"));
  const { width, height } = header;
  const stride = width * 4;
  if (raw.length !== (stride + 1) * height) throw new Error("PNG image data has the wrong length");
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const left = x >= 4 ? data[row + x - 4] : 0;
      const up = y > 0 ? data[row - stride + x] : 0;
      const upLeft = x >= 4 && y > 0 ? data[row - stride + x - 4] : 0;
      const predictor = filter === 0
        ? 0
        : filter === 1
        ? left
        : filter === 2
        ? up
        : filter === 3
        ? (left + up) >> 1
        : filter === 4
        ? paeth(left, up, upLeft)
        : NaN;
      if (Number.isNaN(predictor)) throw new Error(`unknown PNG row filter ${filter}`);
      data[row + x] = (src[x] + predictor) & 0xff;
    }
  }
  return { width, height, data };
}
