// The server's VAPID identity for web push: from VAPID_* environment variables, or generated once
// and kept in KV so every web process (and every restart) signs with the same key pair.
// The reminders capability's store module for the VAPID key pair.

import type { Store } from "../common/store.ts";
import webpush from "web-push";
import type { Config } from "../common/config.ts";
import { decodeBase64Url } from "../common/encoding.ts";
import { commitAtomic, isKvBusy } from "../common/kv.ts";
import { pushKeys } from "./keys.ts";

export interface VapidKeys {
  /** Uncompressed P-256 public key, base64url (what browsers take as `applicationServerKey`). */
  publicKey: string;
  /** The private scalar, base64url; never leaves the server. */
  privateKey: string;
  /** `mailto:` or `https:` contact the push service may use to reach the operator. */
  subject: string;
}

interface StoredVapid {
  publicKey: string;
  privateKey: string;
  createdAt: string;
}

/** A VAPID variable is malformed or only half of the key pair is set. */
export class VapidConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VapidConfigError";
  }
}

/** True when `key` is base64url for a 65-byte uncompressed P-256 point (0x04 ‖ X ‖ Y). */
export function isUncompressedP256(key: string): boolean {
  const bytes = decodeStrict(key);
  return bytes !== null && bytes.length === 65 && bytes[0] === 0x04;
}

/** Decodes base64url, or returns null when `text` is not base64url (padding tolerated). */
export function decodeStrict(text: string): Uint8Array | null {
  const trimmed = text.replace(/=+$/, "");
  if (!/^[A-Za-z0-9_-]*$/.test(trimmed) || trimmed.length % 4 === 1) return null;
  try {
    return decodeBase64Url(trimmed);
  } catch {
    return null;
  }
}

/** The contact sent in every VAPID JWT: VAPID_SUBJECT, else the admin's address, else the site. */
export function vapidSubject(config: Config, env: Record<string, string | undefined>): string {
  const configured = env.VAPID_SUBJECT?.trim();
  if (configured) {
    if (!/^(mailto:.+@.+|https:\/\/.+)$/.test(configured)) {
      throw new VapidConfigError(`VAPID_SUBJECT must be a mailto: or https: URL, got ${JSON.stringify(configured)}`);
    }
    return configured;
  }
  if (config.adminEmail) return `mailto:${config.adminEmail}`;
  const site = new URL(config.publicUrl);
  // Push services ignore (and web-push warns about) an https subject on localhost.
  if (site.protocol === "https:" && site.hostname !== "localhost") return site.origin;
  const from = /<([^<>@\s]+@[^<>\s]+)>/.exec(config.mailFrom)?.[1] ?? `no-reply@${site.hostname}`;
  return `mailto:${from}`;
}

const loaded = new WeakMap<Store, Promise<VapidKeys>>();

/**
 * The VAPID keys: VAPID_PUBLIC_KEY/VAPID_PRIVATE_KEY when set (validated), otherwise the pair in
 * KV, created on first use with a `versionstamp: null` check so concurrent first starts agree on
 * one pair. Cached per KV handle, as the pair never changes while a process runs.
 */
export function loadVapidKeys(
  kv: Store,
  config: Config,
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<VapidKeys> {
  let keys = loaded.get(kv);
  if (!keys) {
    keys = readOrCreate(kv, config, env);
    loaded.set(kv, keys);
    keys.catch(() => loaded.delete(kv)); // a failed read (KV hiccup) is retried next time
  }
  return keys;
}

async function readOrCreate(kv: Store, config: Config, env: Record<string, string | undefined>): Promise<VapidKeys> {
  const subject = vapidSubject(config, env);
  const publicKey = env.VAPID_PUBLIC_KEY?.trim() ?? "";
  const privateKey = env.VAPID_PRIVATE_KEY?.trim() ?? "";
  if (publicKey || privateKey) {
    if (!publicKey || !privateKey) {
      throw new VapidConfigError("Set both VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY, or neither (to generate a pair)");
    }
    if (!isUncompressedP256(publicKey)) {
      throw new VapidConfigError("VAPID_PUBLIC_KEY must be a base64url uncompressed P-256 public key (65 bytes)");
    }
    if (decodeStrict(privateKey)?.length !== 32) {
      throw new VapidConfigError("VAPID_PRIVATE_KEY must be a base64url P-256 private key (32 bytes)");
    }
    return { publicKey, privateKey, subject };
  }
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      const existing = await kv.get<StoredVapid>(pushKeys.vapid());
      if (existing.value) {
        return { publicKey: existing.value.publicKey, privateKey: existing.value.privateKey, subject };
      }
      const fresh = webpush.generateVAPIDKeys();
      const stored: StoredVapid = { ...fresh, createdAt: new Date().toISOString() };
      const res = await commitAtomic(
        kv.atomic().check({ key: pushKeys.vapid(), versionstamp: null }).set(pushKeys.vapid(), stored),
      );
      if (res.ok) return { publicKey: stored.publicKey, privateKey: stored.privateKey, subject };
      // Another process created the pair first (loop and use theirs), or the file was busy (try again).
    } catch (err) {
      // Several processes starting at once on one sqlite file can meet a busy database on the read too.
      if (!isKvBusy(err)) throw err;
    }
    // Jitter so processes that started together do not keep colliding on the busy file.
    await new Promise((r) => setTimeout(r, 10 + Math.random() * 40));
  }
  throw new Error("could not read or create the VAPID key pair");
}
