// Encryption at rest for small secrets (TOTP secrets): AES-256-GCM through WebCrypto, a random 96-bit
// IV per value, the owner's id as additional authenticated data, and a key ring for rotation.
// Written here rather than taken from npm because WebCrypto already is the well-kept library; this
// only fixes the format `v1:<keyId>:<base64url iv>:<base64url ciphertext+tag>` and the key choice.

import { decodeBase64Url, encodeBase64Url } from "./encoding.ts";
import { DomainError } from "./errors.ts";

const FORMAT = "v1";
const IV_BYTES = 12;
const KEY_BYTES = 32;
const SEALED = /^v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]{16}):([A-Za-z0-9_-]{22,})$/;

/** A sealed value could not be opened: its key is not in the ring, or it was altered or moved. */
export class SecretUnreadable extends DomainError {
  constructor(readonly keyId: string | null, readonly reason: "unknown key" | "malformed" | "authentication failed") {
    super(
      "unavailable",
      "Authenticator codes cannot be checked right now; use a recovery code or ask an administrator",
    );
  }
}

/** Whether `value` is in the sealed format (anything else is a legacy plain value). */
export function isSealed(value: string): boolean {
  return value.startsWith(`${FORMAT}:`);
}

/** The key id a sealed value names, or null for a plain or malformed value. */
export function sealedKeyId(value: string): string | null {
  return SEALED.exec(value)?.[1] ?? null;
}

interface RingKey {
  id: string;
  key: CryptoKey;
}

/**
 * A key ring: the first key seals new values, every key opens values that name its id. Key ids are
 * a fingerprint of the key (so a changed key can never pose as an old id), never the key itself.
 */
export class SecretBox {
  private constructor(private readonly ring: RingKey[]) {}

  /** A box over raw 32-byte keys, current key first; repeated keys are kept once. */
  static async fromKeys(raw: Uint8Array[]): Promise<SecretBox> {
    if (!raw.length) throw new Error("SecretBox needs at least one key");
    const ring: RingKey[] = [];
    for (const bytes of raw) {
      if (bytes.length !== KEY_BYTES) throw new Error(`SecretBox keys must be ${KEY_BYTES} bytes, got ${bytes.length}`);
      const id = await keyFingerprint(bytes);
      if (ring.some((k) => k.id === id)) continue;
      const key = await crypto.subtle.importKey("raw", new Uint8Array(bytes), { name: "AES-GCM" }, false, [
        "encrypt",
        "decrypt",
      ]);
      ring.push({ id, key });
    }
    return new SecretBox(ring);
  }

  /** The id of the key new values are sealed with. */
  get currentKeyId(): string {
    return this.ring[0].id;
  }

  /** Ids of every key that can open values, current first. */
  get keyIds(): string[] {
    return this.ring.map((k) => k.id);
  }

  /** Encrypts `plaintext` bound to `aad` (e.g. the account id) with the current key and a fresh IV. */
  async seal(plaintext: string, aad: string): Promise<string> {
    const { id, key } = this.ring[0];
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ct = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(aad) },
      key,
      new TextEncoder().encode(plaintext),
    );
    return `${FORMAT}:${id}:${encodeBase64Url(iv)}:${encodeBase64Url(new Uint8Array(ct))}`;
  }

  /** Decrypts a sealed value for `aad`; throws SecretUnreadable (never the value) when it cannot. */
  async open(sealed: string, aad: string): Promise<string> {
    const m = SEALED.exec(sealed);
    if (!m) throw new SecretUnreadable(null, "malformed");
    const [, id, iv, ct] = m;
    const entry = this.ring.find((k) => k.id === id);
    if (!entry) throw new SecretUnreadable(id, "unknown key");
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: new Uint8Array(decodeBase64Url(iv)), additionalData: new TextEncoder().encode(aad) },
        entry.key,
        new Uint8Array(decodeBase64Url(ct)),
      );
    } catch {
      throw new SecretUnreadable(id, "authentication failed");
    }
    return new TextDecoder().decode(plain);
  }

  /** True when `sealed` is already sealed with the current key (nothing to re-encrypt). */
  isCurrent(sealed: string): boolean {
    return sealedKeyId(sealed) === this.ring[0].id;
  }
}

/** Eight base64url characters of SHA-256 over a label and the key: names a key without revealing it. */
async function keyFingerprint(raw: Uint8Array): Promise<string> {
  const label = new TextEncoder().encode("talkspace secret-box key id\0");
  const digest = await crypto.subtle.digest("SHA-256", new Uint8Array([...label, ...raw]));
  return encodeBase64Url(new Uint8Array(digest)).slice(0, 8);
}

/**
 * A 32-byte key derived from the server secret with HKDF-SHA-256 and an `info` naming the purpose,
 * so the derived key is independent of the HMAC signing key made from the same secret.
 */
export async function deriveKey(serverSecret: string, info: string): Promise<Uint8Array> {
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(serverSecret), "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: new TextEncoder().encode("talkspace secret-box v1"),
      info: new TextEncoder().encode(info),
    },
    base,
    KEY_BYTES * 8,
  );
  return new Uint8Array(bits);
}

/**
 * Parses one configured key: 64 hex digits, or 32 bytes in base64 or base64url (padding optional).
 * Returns null when it is neither; the caller names the variable (never the value) in its error.
 */
export function parseKey(text: string): Uint8Array | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Uint8Array.from(t.match(/../g)!, (h) => parseInt(h, 16));
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return null;
  try {
    const bytes = decodeBase64Url(t.replace(/=$/, "").replace(/\+/g, "-").replace(/\//g, "_"));
    return bytes.length === KEY_BYTES ? bytes : null;
  } catch {
    return null;
  }
}
