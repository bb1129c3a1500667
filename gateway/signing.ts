// The signed-request scheme between web and gateway (both directions): HMAC-SHA256 with the shared
// GATEWAY_SECRET over `${method}\n${path}\n${timestamp}\n${sha256hex(body)}`. Imported by both sides.

export const TIMESTAMP_HEADER = "X-Talkspace-Timestamp";
export const SIGNATURE_HEADER = "X-Talkspace-Signature";
/** How far a request's timestamp may be from our clock; older requests are replays or broken clocks. */
export const MAX_SKEW_MS = 60_000;

const encoder = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    keyCache.set(secret, key);
  }
  return key;
}

/** The string that is signed; `path` is the URL's pathname plus its query string, if any. */
export async function canonicalRequest(method: string, path: string, timestamp: string, body: string): Promise<string> {
  return `${method.toUpperCase()}\n${path}\n${timestamp}\n${await sha256Hex(body)}`;
}

/** Hex HMAC-SHA256 signature of a request. */
export async function signRequest(
  secret: string,
  method: string,
  path: string,
  timestamp: string,
  body: string,
): Promise<string> {
  const key = await hmacKey(secret);
  const data = await canonicalRequest(method, path, timestamp, body);
  return hex(await crypto.subtle.sign("HMAC", key, encoder.encode(data)));
}

/** The two headers to add to a request (timestamp in milliseconds since the epoch). */
export async function signedHeaders(
  secret: string,
  method: string,
  path: string,
  body: string,
  now = Date.now(),
): Promise<Record<string, string>> {
  const timestamp = String(now);
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: await signRequest(secret, method, path, timestamp, body),
  };
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ea = encoder.encode(a);
  const eb = encoder.encode(b);
  let diff = ea.length ^ eb.length;
  for (let i = 0; i < Math.max(ea.length, eb.length); i++) diff |= (ea[i] ?? 0) ^ (eb[i] ?? 0);
  return diff === 0;
}

export type VerifyResult = { ok: true } | { ok: false; reason: "missing" | "stale" | "bad-signature" };

/** Checks a request's headers; the reason is for our logs only, never for the response. */
export async function verifyRequest(
  secret: string,
  method: string,
  path: string,
  body: string,
  headers: { timestamp: string | null; signature: string | null },
  now = Date.now(),
): Promise<VerifyResult> {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: "missing" };
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_MS) return { ok: false, reason: "stale" };
  const expected = await signRequest(secret, method, path, timestamp, body);
  return constantTimeEqual(expected, signature.toLowerCase()) ? { ok: true } : { ok: false, reason: "bad-signature" };
}
