// Browser push subscriptions, one record per device (keyed by a hash of the endpoint) with a
// per-person index; endpoint validation that keeps the server from being aimed at private hosts.
// The reminders capability's store module for push subscriptions.

import type { Store } from "../common/store.ts";
import { z } from "zod";
import { hashToken } from "../common/ids.ts";
import { commitAtomic, KvConflict } from "../common/kv.ts";
import { decodeStrict, isUncompressedP256 } from "./vapid.ts";
import { pushKeys } from "./keys.ts";

/** Enough for every browser and phone a person uses; more is almost certainly a bug or abuse. */
export const MAX_DEVICES_PER_PERSON = 20;

export interface PushSubscriptionRecord {
  /** SHA-256 (hex) of the endpoint. */
  id: string;
  userId: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** A short description of the browser, so people recognise the device in their list. */
  label: string;
  createdAt: string;
}

/** The browser's `PushSubscription.toJSON()` as we accept it. */
export const subscriptionSchema = z.object({
  endpoint: z.string({ error: "Send the subscription's endpoint URL" }).trim().min(
    1,
    "Send the subscription's endpoint URL",
  )
    .max(2048, "The endpoint URL is too long (at most 2048 characters)")
    .refine((s) => URL.canParse(s) && new URL(s).protocol === "https:", "The endpoint must be an https:// URL"),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({
    p256dh: z.string({ error: "Send keys.p256dh from the subscription" }).refine(
      isUncompressedP256,
      "keys.p256dh must be the base64url uncompressed P-256 public key (65 bytes)",
    ),
    auth: z.string({ error: "Send keys.auth from the subscription" }).refine(
      (s) => decodeStrict(s)?.length === 16,
      "keys.auth must be the base64url 16-byte authentication secret",
    ),
  }, { error: "Send the subscription's keys (p256dh and auth)" }),
});

export type SubscriptionInput = z.infer<typeof subscriptionSchema>;

// P-256 domain parameters (SEC 2): y² = x³ − 3x + b over GF(p).
const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function toBigInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return n;
}

/** True when the uncompressed key really lies on P-256 (the length check alone lets garbage through). */
export function isValidP256Point(p256dh: string): boolean {
  const bytes = decodeStrict(p256dh);
  if (!bytes || bytes.length !== 65 || bytes[0] !== 4) return false;
  const x = toBigInt(bytes.subarray(1, 33));
  const y = toBigInt(bytes.subarray(33));
  if (x >= P256_P || y >= P256_P) return false;
  const rhs = (((x * x % P256_P) * x - 3n * x + P256_B) % P256_P + P256_P) % P256_P;
  return (y * y) % P256_P === rhs;
}

// ---------------------------------------------------------------------------------------------
// Endpoint host checks (server-side request forgery)

/** Looks up a host's addresses; Deno.resolveDns by default, a stub in tests. */
export type Resolver = (host: string, type: "A" | "AAAA") => Promise<string[]>;

export const systemResolver: Resolver = async (host, type) => {
  try {
    return await Deno.resolveDns(host, type);
  } catch (err) {
    // No such name or no records of this type: the other type may still have some.
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
};

/** Parses a dotted-quad IPv4 address into 4 bytes, or null. */
function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

/** Parses an IPv6 address (with `::` and an optional dotted-quad tail) into 16 bytes, or null. */
function parseIPv6(text: string): number[] | null {
  const addr = text.replace(/%.*$/, "").toLowerCase(); // zone ids (fe80::1%eth0) do not change the address
  const halves = addr.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string): number[] | null => {
    if (part === "") return [];
    const out: number[] = [];
    const items = part.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = parseIPv4(item);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/.test(item)) {
        out.push(parseInt(item, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

function privateIPv4([a, b]: number[]): boolean {
  return a === 0 || // 0.0.0.0/8 ("this network"; 0.0.0.0 reaches the local host)
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, including cloud metadata services
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224; // multicast, reserved and broadcast
}

/**
 * True for addresses a push endpoint must never point at: loopback, private, link-local,
 * unique-local, multicast, unspecified, and IPv4 embedded in IPv6 (mapped, NAT64) that is one of
 * those. Unparseable text counts as private, so the check fails closed.
 */
export function isPrivateAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4) return privateIPv4(v4);
  const v6 = parseIPv6(ip.replace(/^\[|\]$/g, ""));
  if (!v6) return true;
  if (v6.every((b, i) => (i < 15 ? b === 0 : b <= 1))) return true; // :: and ::1
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) return privateIPv4(v6.slice(12));
  const nat64 = [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0];
  if (nat64.every((b, i) => v6[i] === b)) return privateIPv4(v6.slice(12));
  if ((v6[0] & 0xfe) === 0xfc) return true; // fc00::/7 unique local
  if (v6[0] === 0xfe && (v6[1] & 0xc0) === 0x80) return true; // fe80::/10 link-local
  if (v6[0] === 0xfe && (v6[1] & 0xc0) === 0xc0) return true; // fec0::/10 old site-local
  if (v6[0] === 0xff) return true; // multicast
  return false;
}

/** Why a push endpoint may not be used, or null when it may. */
export async function endpointProblem(
  endpoint: string,
  opts: { allowPrivate: boolean; resolve?: Resolver },
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "The endpoint must be an https:// URL";
  }
  if (url.protocol !== "https:") return "The endpoint must be an https:// URL";
  if (url.username || url.password) return "The endpoint must not carry a user name or password";
  if (opts.allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  const refused = "The endpoint's host is a private or local address; push services are on the public internet";
  if (parseIPv4(host) || host.includes(":")) return isPrivateAddress(host) ? refused : null;
  if (host === "localhost" || host.endsWith(".localhost")) return refused;
  const resolve = opts.resolve ?? systemResolver;
  let addresses: string[];
  try {
    const [a, aaaa] = await Promise.all([resolve(host, "A"), resolve(host, "AAAA")]);
    addresses = [...a, ...aaaa];
  } catch {
    return "We could not look up the endpoint's host name; try again later";
  }
  if (addresses.length === 0) return "The endpoint's host name does not resolve";
  // Every address, not just the first: a name with one public and one private address is refused.
  return addresses.some(isPrivateAddress) ? refused : null;
}

// ---------------------------------------------------------------------------------------------
// Storage

/** The id of a subscription: the endpoint's SHA-256, so one device never has two records. */
export async function subscriptionId(endpoint: string): Promise<string> {
  return await hashToken(endpoint);
}

/** A person already has MAX_DEVICES_PER_PERSON subscriptions. */
export class TooManyDevices extends Error {
  constructor() {
    super(`At most ${MAX_DEVICES_PER_PERSON} devices can receive notifications; remove one first`);
    this.name = "TooManyDevices";
  }
}

/**
 * Stores a device's subscription for a person, replacing an earlier record of the same endpoint
 * (new keys, or a browser that changed hands between accounts) in one atomic commit that also
 * moves the per-person index. `created` is false when the endpoint was already this person's.
 */
export async function saveSubscription(
  kv: Store,
  userId: string,
  input: SubscriptionInput,
  label: string,
): Promise<{ record: PushSubscriptionRecord; created: boolean }> {
  const id = await subscriptionId(input.endpoint);
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await kv.get<PushSubscriptionRecord>(pushKeys.subscription(id));
    const mine = existing.value?.userId === userId;
    if (!mine && (await listSubscriptionIds(kv, userId)).length >= MAX_DEVICES_PER_PERSON) throw new TooManyDevices();
    const record: PushSubscriptionRecord = {
      id,
      userId,
      endpoint: input.endpoint,
      keys: { p256dh: input.keys.p256dh, auth: input.keys.auth },
      label: label.slice(0, 100),
      createdAt: mine ? existing.value!.createdAt : new Date().toISOString(),
    };
    const op = kv.atomic().check(existing)
      .set(pushKeys.subscription(id), record)
      .set(pushKeys.subscriptionByUser(userId, id), id);
    if (existing.value && !mine) op.delete(pushKeys.subscriptionByUser(existing.value.userId, id));
    if ((await commitAtomic(op)).ok) return { record, created: !mine };
  }
  throw new KvConflict(`saveSubscription ${id} kept racing`);
}

async function listSubscriptionIds(kv: Store, userId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of kv.list<string>({ prefix: pushKeys.subscriptionsByUser(userId) })) ids.push(e.value);
  return ids;
}

/** One subscription by id, or null when it is gone. */
export async function getSubscription(kv: Store, id: string): Promise<PushSubscriptionRecord | null> {
  return (await kv.get<PushSubscriptionRecord>(pushKeys.subscription(id))).value;
}

/** A person's subscriptions, oldest first (records whose index outlived them are skipped). */
export async function listSubscriptions(kv: Store, userId: string): Promise<PushSubscriptionRecord[]> {
  const ids = await listSubscriptionIds(kv, userId);
  const out: PushSubscriptionRecord[] = [];
  for (let i = 0; i < ids.length; i += 10) {
    const entries = await kv.getMany<PushSubscriptionRecord[]>(ids.slice(i, i + 10).map(pushKeys.subscription));
    for (const e of entries) if (e.value && e.value.userId === userId) out.push(e.value);
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * Removes one of a person's subscriptions by id with its index entry, atomically. Returns false
 * when there is no such subscription among theirs (someone else's id is "not found" too).
 */
export async function deleteSubscription(kv: Store, userId: string, id: string): Promise<boolean> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<PushSubscriptionRecord>(pushKeys.subscription(id));
    if (!entry.value || entry.value.userId !== userId) return false;
    const op = kv.atomic().check(entry).delete(entry.key).delete(pushKeys.subscriptionByUser(userId, id));
    if ((await commitAtomic(op)).ok) return true;
    // Changed meanwhile (or the database was busy): look again.
  }
  throw new KvConflict(`deleteSubscription ${id}`);
}

/** Removes a subscription the push service called gone (404/410), unless it was re-saved meanwhile. */
export async function removeGoneSubscription(kv: Store, gone: PushSubscriptionRecord): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<PushSubscriptionRecord>(pushKeys.subscription(gone.id));
    if (!entry.value || entry.value.keys.auth !== gone.keys.auth) return;
    const op = kv.atomic().check(entry).delete(entry.key).delete(
      pushKeys.subscriptionByUser(entry.value.userId, gone.id),
    );
    if ((await commitAtomic(op)).ok) return;
    // Changed meanwhile (re-saved, perhaps with new keys) or the database was busy: look again.
  }
  throw new KvConflict(`removeGoneSubscription ${gone.id}`);
}

/** A short, human description of a browser from its User-Agent ("Firefox on Android"). */
export function deviceLabel(userAgent: string): string {
  const ua = userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /OPR\//.test(ua)
    ? "Opera"
    : /Firefox\//.test(ua)
    ? "Firefox"
    : /(Chrome|Chromium)\//.test(ua)
    ? "Chrome"
    : /Safari\//.test(ua)
    ? "Safari"
    : "A browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad|iPod/.test(ua)
    ? "iOS"
    : /Windows/.test(ua)
    ? "Windows"
    : /Mac OS X|Macintosh/.test(ua)
    ? "macOS"
    : /CrOS/.test(ua)
    ? "ChromeOS"
    : /Linux/.test(ua)
    ? "Linux"
    : "";
  return os ? `${browser} on ${os}` : browser;
}
