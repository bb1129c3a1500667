// Test helpers for lib/push: an in-memory schedule standing in for lib/scheduling, a recording
// push service (fetch stand-in), and subscriber key pairs made with crypto.subtle.

import type { Store } from "../common/store.ts";
import { concatBytes, encodeBase64Url } from "../common/encoding.ts";
import type { Invitee, Occurrence, ScheduleSource } from "./reminders.ts";

/** A schedule kept in memory: tests add occurrences and people and fire change events. */
export class MemorySchedule implements ScheduleSource {
  readonly occurrences = new Map<string, Occurrence[]>();
  readonly people = new Map<string, Invitee[]>();
  readonly #listeners: ((c: { meetingId: string }) => void | Promise<void>)[] = [];

  listOccurrences(_kv: Store, meetingId: string, fromMs: number, toMs: number): Promise<Occurrence[]> {
    // Same semantics as lib/scheduling: occurrences overlapping [from, to).
    const all = this.occurrences.get(meetingId) ?? [];
    return Promise.resolve(all.filter((o) => o.start.getTime() < toMs && o.end.getTime() > fromMs));
  }
  nextOccurrence(_kv: Store, meetingId: string, fromMs: number): Promise<Occurrence | null> {
    const all = this.occurrences.get(meetingId) ?? [];
    const later = all.filter((o) => o.start.getTime() > fromMs).sort((a, b) => a.start.getTime() - b.start.getTime());
    return Promise.resolve(later[0] ?? null);
  }
  peopleFor(_kv: Store, meetingId: string): Promise<Invitee[]> {
    return Promise.resolve(this.people.get(meetingId) ?? []);
  }
  onScheduleChange(listener: (c: { meetingId: string }) => void | Promise<void>): () => void {
    this.#listeners.push(listener);
    return () => this.#listeners.splice(this.#listeners.indexOf(listener), 1);
  }
  /** Sets a meeting's occurrences and people, then tells listeners (like a committed change). */
  async set(meetingId: string, occurrences: Occurrence[], people: Invitee[]): Promise<void> {
    this.occurrences.set(meetingId, occurrences);
    this.people.set(meetingId, people);
    for (const l of this.#listeners) await l({ meetingId });
  }
}

export interface RecordedPush {
  url: string;
  headers: Headers;
  body: Uint8Array;
}

/**
 * A push service stand-in: records each request and answers with the next status queued for that
 * endpoint (201 when none). Per endpoint, because a person's devices are sent to in no fixed order.
 */
export class RecordingPushService {
  readonly requests: RecordedPush[] = [];
  readonly statuses = new Map<string, number[]>();
  readonly fetch: typeof fetch = async (input, init) => {
    const req = new Request(input, init);
    this.requests.push({ url: req.url, headers: req.headers, body: new Uint8Array(await req.arrayBuffer()) });
    return new Response(null, { status: this.statuses.get(req.url)?.shift() ?? 201 });
  };
  /** Queues the statuses an endpoint answers with, in order. */
  answer(endpoint: string, ...statuses: number[]) {
    this.statuses.set(endpoint, [...(this.statuses.get(endpoint) ?? []), ...statuses]);
  }
}

export interface Subscriber {
  keys: CryptoKeyPair;
  auth: Uint8Array<ArrayBuffer>;
  /** PushSubscription JSON as a browser would send it. */
  json(endpoint: string): { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
}

/** A browser-like subscriber: its own P-256 key pair and 16-byte auth secret. */
export async function makeSubscriber(): Promise<Subscriber> {
  const keys = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", keys.publicKey));
  const auth = crypto.getRandomValues(new Uint8Array(16));
  return {
    keys,
    auth,
    json: (endpoint) => ({
      endpoint,
      expirationTime: null,
      keys: { p256dh: encodeBase64Url(raw), auth: encodeBase64Url(auth) },
    }),
  };
}

/** Polls `check` until it returns a value (not undefined/false) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<Exclude<T, false | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined && value !== false && value !== null) return value as Exclude<T, false | null | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function bytes(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

async function hkdf(
  salt: Uint8Array,
  ikm: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array<ArrayBuffer>> {
  const key = await crypto.subtle.importKey("raw", ikm as Uint8Array<ArrayBuffer>, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, info: info as Uint8Array<ArrayBuffer> },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Decrypts an `aes128gcm` web push body (RFC 8188 framing, RFC 8291 key derivation) with the
 * subscriber's private key and auth secret, as a browser does. Throws when anything is off.
 */
export async function decryptPush(body: Uint8Array, subscriber: Subscriber): Promise<string> {
  if (body.length < 21) throw new Error("body shorter than the aes128gcm header");
  const salt = body.slice(0, 16);
  const recordSize = new DataView(body.buffer, body.byteOffset + 16, 4).getUint32(0);
  const idLength = body[20];
  const senderPublic = body.slice(21, 21 + idLength);
  if (idLength !== 65 || senderPublic[0] !== 4) {
    throw new Error(`key id is not an uncompressed P-256 key (${idLength} bytes)`);
  }
  const ciphertext = body.slice(21 + idLength);
  if (ciphertext.length > recordSize) throw new Error("more than one record; web push sends one");
  const senderKey = await crypto.subtle.importKey(
    "raw",
    senderPublic,
    { name: "ECDH", namedCurve: "P-256" },
    false,
    [],
  );
  const ecdhSecret = new Uint8Array(
    await crypto.subtle.deriveBits({ name: "ECDH", public: senderKey }, subscriber.keys.privateKey, 256),
  );
  const receiverPublic = new Uint8Array(await crypto.subtle.exportKey("raw", subscriber.keys.publicKey));
  const keyInfo = concatBytes(bytes("WebPush: info\0"), receiverPublic, senderPublic);
  const ikm = await hkdf(subscriber.auth, ecdhSecret, keyInfo, 32);
  const cek = await hkdf(salt, ikm, bytes("Content-Encoding: aes128gcm\0"), 16);
  const nonce = await hkdf(salt, ikm, bytes("Content-Encoding: nonce\0"), 12);
  const aesKey = await crypto.subtle.importKey("raw", cek, "AES-GCM", false, ["decrypt"]);
  const padded = new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce }, aesKey, ciphertext));
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 2) throw new Error("missing the last-record padding delimiter (0x02)");
  return new TextDecoder().decode(padded.slice(0, end));
}

function decodeB64u(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

/**
 * Checks a VAPID `Authorization: vapid t=…, k=…` header (RFC 8292): `k` is `serverPublicKey`, the
 * JWT is ES256-signed by it, `aud` is the push service's origin, `exp` is in the future (and at
 * most 24 hours away), `sub` is a mailto: or https: contact. Returns the claims; throws otherwise.
 */
export async function verifyVapid(
  authorization: string | null,
  serverPublicKey: string,
  audience: string,
): Promise<{ aud: string; exp: number; sub: string }> {
  const m = /^vapid t=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? "");
  if (!m) throw new Error(`not a vapid Authorization header: ${authorization}`);
  const [, jwt, k] = m;
  if (k !== serverPublicKey) throw new Error("the k= key is not the server's VAPID public key");
  const [head, claims, signature] = jwt.split(".");
  const header = JSON.parse(new TextDecoder().decode(decodeB64u(head)));
  if (header.alg !== "ES256") throw new Error(`JWT alg is ${header.alg}, not ES256`);
  const key = await crypto.subtle.importKey(
    "raw",
    decodeB64u(serverPublicKey),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["verify"],
  );
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    decodeB64u(signature),
    bytes(`${head}.${claims}`),
  );
  if (!ok) throw new Error("the VAPID JWT signature does not verify with the server's public key");
  const payload = JSON.parse(new TextDecoder().decode(decodeB64u(claims)));
  const now = Date.now() / 1000;
  if (payload.aud !== audience) throw new Error(`aud is ${payload.aud}, expected ${audience}`);
  if (!(payload.exp > now && payload.exp <= now + 24 * 3600 + 60)) {
    throw new Error(`exp ${payload.exp} is not within 24 h`);
  }
  if (!/^(mailto:|https:)/.test(String(payload.sub))) throw new Error(`sub ${payload.sub} is not mailto:/https:`);
  return payload;
}
