// Every random value the server and the gateway draw: secrets, tokens, SIP tags and branches, RTP
// SSRCs and sequence starts. All come from the CSPRNG (crypto.getRandomValues), so none is guessable.
// Server-side only: Uint8Array#toHex/#toBase64 are in Deno's V8 but not yet in every browser.

/** `bytes` fresh random bytes. */
export function randomBytes(bytes: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(bytes));
}

/** Lowercase hex of `bytes` random bytes (2 × bytes characters): Janus secrets, SIP tags and branches. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toHex();
}

/** A URL-safe random token (base64url, no padding) with `bytes` bytes of entropy. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toBase64({ alphabet: "base64url", omitPadding: true });
}

/** A uniformly random unsigned 32-bit integer: RTP SSRCs and timestamps, SDP session ids. */
export function randomUint32(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/** A uniformly random unsigned 16-bit integer: RTP sequence number starts. */
export function randomUint16(): number {
  return crypto.getRandomValues(new Uint16Array(1))[0];
}

// Per-response tokens (CSP nonces, CSRF tokens) come from a buffer of CSPRNG bytes refilled 4 KiB at a
// time, each byte used once: a getRandomValues call plus a base64 encoding per token cost more than the
// rest of serving a cached page. A byte's low 6 bits pick one of 64 characters, so each is equally likely.
const URL_SAFE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** `n` random base64url characters (6 random bits each) from the pooled buffer; n ≤ 4096. */
export function pooledRandomChars(n: number): string {
  if (n > pool.length) throw new RangeError(`pooledRandomChars: at most ${pool.length} characters, asked for ${n}`);
  if (poolAt + n > pool.length) {
    crypto.getRandomValues(pool);
    poolAt = 0;
  }
  let out = "";
  for (let i = poolAt; i < poolAt + n; i++) out += URL_SAFE_ALPHABET[pool[i] & 63];
  poolAt += n;
  return out;
}
