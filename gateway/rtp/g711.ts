// G.711 μ-law and A-law (ITU-T G.711), for level metering, repacketizing silence and prompts.
// Written here rather than taken from npm (alawmulaw is pure JS and would work): the codec is a
// few lines of bit twiddling, and lookup tables keep the per-packet cost at one array read a sample.

export type G711Codec = "pcmu" | "pcma";

const BIAS = 0x84;
const CLIP = 32635;

function linearToMulaw(sample: number): number {
  let sign = 0;
  if (sample < 0) {
    sample = -sample;
    sign = 0x80;
  }
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

function mulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return u & 0x80 ? -magnitude : magnitude;
}

function linearToAlaw(sample: number): number {
  let sign = 0x80;
  if (sample < 0) {
    sample = -sample - 1;
    sign = 0x00;
  }
  if (sample > 32767) sample = 32767;
  let byte: number;
  if (sample < 256) {
    byte = sample >> 4;
  } else {
    let exponent = 1;
    for (let v = sample >> 8; v > 1; v >>= 1) exponent++;
    byte = (exponent << 4) | ((sample >> (exponent + 3)) & 0x0f);
  }
  return (byte | sign) ^ 0x55;
}

function alawToLinear(byte: number): number {
  const a = byte ^ 0x55;
  const exponent = (a >> 4) & 0x07;
  const mantissa = a & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  if (!(a & 0x80)) magnitude = -magnitude;
  return magnitude;
}

const MULAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => mulawToLinear(i));
const ALAW_DECODE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));
// Encoding tables over the 16-bit range shifted down by 2 (14 significant bits are all G.711 keeps).
const MULAW_ENCODE = Uint8Array.from({ length: 16384 }, (_, i) => linearToMulaw((i - 8192) << 2));
const ALAW_ENCODE = Uint8Array.from({ length: 16384 }, (_, i) => linearToAlaw((i - 8192) << 2));

/** The byte a G.711 encoder produces for digital silence (0). */
export const SILENCE_BYTE: Record<G711Codec, number> = { pcmu: 0xff, pcma: 0xd5 };

/** Decodes G.711 bytes into 16-bit linear samples. */
export function decodeG711(codec: G711Codec, bytes: Uint8Array, out = new Int16Array(bytes.length)): Int16Array {
  const table = codec === "pcmu" ? MULAW_DECODE : ALAW_DECODE;
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]];
  return out;
}

/** Encodes 16-bit linear samples into G.711 bytes. */
export function encodeG711(
  codec: G711Codec,
  samples: ArrayLike<number>,
  out = new Uint8Array(samples.length),
): Uint8Array {
  const table = codec === "pcmu" ? MULAW_ENCODE : ALAW_ENCODE;
  for (let i = 0; i < samples.length; i++) {
    let s = samples[i];
    if (s > 32767) s = 32767;
    else if (s < -32768) s = -32768;
    out[i] = table[(s >> 2) + 8192];
  }
  return out;
}

/** RMS level of G.711 bytes in dBov (0 = full-scale square wave; digital silence is -Infinity, clamped to -127). */
export function g711LevelDbov(codec: G711Codec, bytes: Uint8Array): number {
  const table = codec === "pcmu" ? MULAW_DECODE : ALAW_DECODE;
  let sum = 0;
  for (let i = 0; i < bytes.length; i++) {
    const s = table[bytes[i]];
    sum += s * s;
  }
  if (bytes.length === 0 || sum === 0) return -127;
  return Math.max(-127, 10 * Math.log10(sum / bytes.length / (32768 * 32768)));
}
