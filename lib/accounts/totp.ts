// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) with replay protection, the
// atomic switches that turn two-factor sign-in on and off, and the secrets' encryption at rest
// (AES-256-GCM bound to the account id, lib/common/secret_box.ts) with its key rotation.

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import * as OTPAuth from "otpauth";
import { deriveKey, isSealed, sealedKeyId, SecretBox, SecretUnreadable } from "../common/secret_box.ts";
import { loadServerSecret } from "../common/server_secret.ts";
import { logger } from "../common/log.ts";
import { commitUserChange, getTotpSealMarker, rewriteUsers, setTotpSealMarker, type User } from "./users.ts";
import { acceptTotpStep, deleteTotpStepInto } from "./totp_steps.ts";
import { consumeRecoveryCode, deleteRecoveryCodesInto, prepareRecoveryCodes } from "./recovery_codes.ts";

const log = logger("totp");

export const TOTP_ISSUER = "Talkspace";
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Accepted clock drift, in time steps either side of now. */
export const TOTP_WINDOW = 1;

function totp(secret: string, email = ""): OTPAuth.TOTP {
  return new OTPAuth.TOTP({
    issuer: TOTP_ISSUER,
    label: email,
    algorithm: "SHA1",
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
    secret: OTPAuth.Secret.fromBase32(secret),
  });
}

/** A new random 160-bit secret, base32 (what authenticator apps expect). */
export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

/** The `otpauth://totp/…` URI an authenticator app scans, labelled with the account email. */
export function otpauthUri(secret: string, email: string): string {
  return totp(secret, email).toString();
}

/** The secret in groups of four for typing it into an app by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, "$1 ");
}

/** The time step (counter) a timestamp falls in. */
export function totpStep(timestampMs = Date.now()): number {
  return OTPAuth.TOTP.counter({ period: TOTP_PERIOD_SECONDS, timestamp: timestampMs });
}

/** The code for the step containing `timestampMs` (tests and tooling; the server never shows codes). */
export function totpCodeAt(secret: string, timestampMs = Date.now()): string {
  return totp(secret).generate({ timestamp: timestampMs });
}

/** The time step a code belongs to if it is valid within ±TOTP_WINDOW steps of `now`, else null. */
export function matchTotpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp: now, window: TOTP_WINDOW });
  return delta === null ? null : totpStep(now) + delta;
}

/**
 * Checks a code against `secret` (±1 step of drift) and accepts it only if its time step is newer
 * than the last one accepted for this person; the new step is stored with a versionstamp check, so
 * of two concurrent uses of one code exactly one passes.
 */
export async function verifyTotp(
  kv: Store,
  userId: string,
  secret: string,
  code: string,
  now = Date.now(),
): Promise<boolean> {
  const step = matchTotpStep(secret, code, now);
  if (step === null) return false;
  return await acceptTotpStep(kv, userId, step);
}

/** Which second factor a code turned out to be, or null when it was neither. */
export type SecondFactor = "totp" | "recovery";

/**
 * Accepts a current authenticator code or unused recovery code for a person with two-factor on.
 * A good authenticator code also reseals a secret not yet under the current key. Throws
 * SecretUnreadable (logged without the secret) when the secret cannot be decrypted; recovery
 * codes still work then.
 */
export async function verifySecondFactor(
  kv: Store,
  user: User,
  code: string,
  now = Date.now(),
): Promise<SecondFactor | null> {
  if (!user.totpSecret) return null;
  const compact = code.replace(/\s+/g, "");
  if (!/^\d{6}$/.test(compact)) return (await consumeRecoveryCode(kv, user.id, compact)) ? "recovery" : null;
  const secret = (await openTotpSecret(kv, user))!;
  if (!(await verifyTotp(kv, user.id, secret, compact, now))) return null;
  const box = await totpBox(kv);
  if (!box.isCurrent(user.totpSecret)) await resealAfterSignIn(kv, user.id, user.totpSecret, secret, box);
  return "totp";
}

/** Reseals with the current key unless the stored value changed meanwhile; a failure is logged, the sign-in stands. */
async function resealAfterSignIn(kv: Store, userId: string, stored: string, secret: string, box: SecretBox) {
  try {
    let resealed = false;
    await commitUserChange(kv, userId, `resealTotpSecret ${userId}`, async (current) => {
      resealed = current.totpSecret === stored;
      return resealed ? { ...current, totpSecret: await box.seal(secret, userId) } : null;
    }, 3);
    if (resealed) log.info("TOTP secret resealed with the current key", { userId, keyId: box.currentKeyId });
  } catch (err) {
    log.warn("TOTP secret not resealed; the startup pass will", { userId, error: String(err) });
  }
}

/**
 * Turns two-factor on: stores the secret on the account (sealed with the current key) and replaces
 * the recovery codes with ten new ones in one atomic commit (retried on conflict). Returns the
 * updated person and the codes to show once, or null when the account is gone.
 */
export async function enableTwoFactor(
  kv: Store,
  userId: string,
  secret: string,
): Promise<{ user: User; recoveryCodes: string[] } | null> {
  let recoveryCodes: string[] = [];
  const sealed = await (await totpBox(kv)).seal(secret, userId);
  const user = await commitUserChange(kv, userId, `enableTwoFactor ${userId}`, async (stored, op) => {
    const prepared = await prepareRecoveryCodes(kv, userId);
    prepared.apply(op);
    recoveryCodes = prepared.codes;
    return { ...stored, totpSecret: sealed, updatedAt: new Date().toISOString() };
  }, 5);
  return user ? { user, recoveryCodes } : null;
}

/**
 * Turns two-factor off: removes the secret from the account, every recovery code and the last
 * accepted step in one atomic commit (retried on conflict). Returns the updated person, or null.
 */
export async function disableTwoFactor(kv: Store, userId: string): Promise<User | null> {
  return await commitUserChange(kv, userId, `disableTwoFactor ${userId}`, async (stored, op) => {
    await deleteRecoveryCodesInto(kv, userId, deleteTotpStepInto(op, userId));
    return { ...stored, totpSecret: null, updatedAt: new Date().toISOString() };
  }, 5);
}

// ---------------------------------------------------------------------------------------------
// Encryption at rest: the key ring, opening a stored secret, and the re-encryption pass

/** HKDF info for the key derived from the server secret: distinct from every other use of it. */
const DERIVED_KEY_INFO = "talkspace totp-secret encryption v1";

const boxes = new WeakMap<Store, Promise<SecretBox>>();

/**
 * The TOTP key ring of an install: the configured keys (current first), then the key derived from
 * the server secret, which seals new secrets only when no key is configured and otherwise still
 * opens secrets sealed before a key was configured.
 */
export async function loadTotpBox(
  kv: Store,
  config: Pick<Config, "totpEncryptionKeys" | "secretKey">,
): Promise<SecretBox> {
  const derived = await deriveKey(await loadServerSecret(kv, config.secretKey), DERIVED_KEY_INFO);
  return await SecretBox.fromKeys([...config.totpEncryptionKeys, derived]);
}

/**
 * Makes this store's TOTP secrets use the configured keys; main.ts and scripts/rotate-totp-key.ts
 * call it once at start. A store never configured uses the key derived from the secret kept in KV
 * (what an in-process test app signs with too).
 */
export function configureTotpEncryption(
  kv: Store,
  config: Pick<Config, "totpEncryptionKeys" | "secretKey" | "env">,
): Promise<SecretBox> {
  const box = loadTotpBox(kv, config);
  boxes.set(kv, box);
  if (config.env === "production" && !config.totpEncryptionKeys.length && !config.secretKey) {
    log.warn(
      "TOTP secrets are encrypted with a key derived from the server secret kept in KV, so a copy of the " +
        "database can decrypt them: set TOTP_ENCRYPTION_KEY (or SECRET_KEY)",
    );
  }
  return box;
}

function totpBox(kv: Store): Promise<SecretBox> {
  let box = boxes.get(kv);
  if (!box) {
    box = loadTotpBox(kv, { totpEncryptionKeys: [], secretKey: "" });
    boxes.set(kv, box);
    box.catch(() => boxes.delete(kv));
  }
  return box;
}

/** A plain value from before encryption: base32, or else refused like any value that does not open. */
function legacySecret(value: string): string {
  if (!/^[A-Z2-7]+=*$/i.test(value)) throw new SecretUnreadable(null, "malformed");
  return value;
}

/**
 * The account's TOTP secret in base32, or null when two-factor is off; a legacy plain value is
 * returned as it is. Throws SecretUnreadable, after logging the account and key id (never the
 * value), when no key in the ring opens it or it was altered or copied from another account.
 */
export async function openTotpSecret(kv: Store, user: Pick<User, "id" | "totpSecret">): Promise<string | null> {
  if (!user.totpSecret) return null;
  try {
    if (!isSealed(user.totpSecret)) return legacySecret(user.totpSecret);
    return await (await totpBox(kv)).open(user.totpSecret, user.id);
  } catch (err) {
    if (err instanceof SecretUnreadable) {
      log.error("TOTP secret cannot be decrypted", { userId: user.id, keyId: err.keyId, reason: err.reason });
    }
    throw err;
  }
}

/** AAD of a pending enrolment secret, so it and an account's sealed secret cannot stand in for each other. */
const pendingAad = (userId: string) => `enrolment:${userId}`;

/** Seals a not yet confirmed enrolment secret for keeping in the person's session. */
export async function sealPendingTotpSecret(kv: Store, userId: string, secret: string): Promise<string> {
  return await (await totpBox(kv)).seal(secret, pendingAad(userId));
}

/**
 * The pending enrolment secret kept in a session, or null when it cannot be opened (its key was
 * rotated out, or it is not this person's): the caller starts enrolment over. A plain value from
 * before encryption is returned as it is.
 */
export async function openPendingTotpSecret(kv: Store, userId: string, stored: string): Promise<string | null> {
  try {
    if (!isSealed(stored)) return legacySecret(stored);
    return await (await totpBox(kv)).open(stored, pendingAad(userId));
  } catch (err) {
    if (!(err instanceof SecretUnreadable)) throw err;
    log.warn("pending TOTP secret cannot be decrypted; enrolment starts over", { userId, keyId: err.keyId });
    return null;
  }
}

/** What a re-encryption pass did; `unreadable` accounts were left as they are (and logged). */
export interface ResealReport {
  /** The key every readable secret is now sealed with. */
  keyId: string;
  scanned: number;
  rewritten: number;
  unreadable: number;
  /** True when a previous complete pass with the same key made this one unnecessary. */
  skipped: boolean;
}

/**
 * Seals every TOTP secret that is plain (from before encryption) or under an older key with the
 * current key, in atomic batches through the accounts store (users.ts rewriteUsers). A complete
 * pass with no unreadable secret records the key, so the next start with the same key reads one
 * marker instead of every account; `force` walks them anyway (the rotation script does).
 */
export async function resealTotpSecrets(
  kv: Store,
  opts: { force?: boolean; batchSize?: number } = {},
): Promise<ResealReport> {
  const box = await totpBox(kv);
  const marker = await getTotpSealMarker(kv);
  const keyId = box.currentKeyId;
  if (!opts.force && marker.keyId === keyId) return { keyId, scanned: 0, rewritten: 0, unreadable: 0, skipped: true };
  const unreadable = new Set<string>();
  const { scanned, rewritten } = await rewriteUsers(kv, "resealTotpSecrets", async (user) => {
    if (!user.totpSecret || box.isCurrent(user.totpSecret)) return null;
    let secret: string;
    try {
      secret = (await openTotpSecret(kv, user))!;
    } catch (err) {
      if (!(err instanceof SecretUnreadable)) throw err;
      unreadable.add(user.id);
      return null;
    }
    return { ...user, totpSecret: await box.seal(secret, user.id) };
  }, opts.batchSize);
  if (!unreadable.size) await setTotpSealMarker(kv, keyId, marker.versionstamp);
  const report = { keyId, scanned, rewritten, unreadable: unreadable.size, skipped: false };
  if (rewritten || unreadable.size) log.info("TOTP secrets resealed", { ...report });
  return report;
}

/** The key id a stored TOTP value names ("plain" for a legacy value, null when off): for tools and tests. */
export function totpSecretKeyId(user: Pick<User, "totpSecret">): string | null {
  if (!user.totpSecret) return null;
  return isSealed(user.totpSecret) ? sealedKeyId(user.totpSecret) : "plain";
}
