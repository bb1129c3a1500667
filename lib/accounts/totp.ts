// Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30 s) with replay protection, and the
// atomic switches that turn two-factor sign-in on and off.

import type { Store } from "../common/store.ts";
import * as OTPAuth from "otpauth";
import { commitUserChange, type User } from "./users.ts";
import { acceptTotpStep, deleteTotpStepInto } from "./totp_steps.ts";
import { consumeRecoveryCode, deleteRecoveryCodesInto, prepareRecoveryCodes } from "./recovery_codes.ts";

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

/** Accepts a current authenticator code or unused recovery code for a person with two-factor on. */
export async function verifySecondFactor(
  kv: Store,
  user: User,
  code: string,
  now = Date.now(),
): Promise<SecondFactor | null> {
  if (!user.totpSecret) return null;
  const compact = code.replace(/\s+/g, "");
  if (/^\d{6}$/.test(compact)) return (await verifyTotp(kv, user.id, user.totpSecret, compact, now)) ? "totp" : null;
  return (await consumeRecoveryCode(kv, user.id, compact)) ? "recovery" : null;
}

/**
 * Turns two-factor on: stores the secret on the account and replaces the recovery codes with ten
 * new ones in one atomic commit (retried on conflict). Returns the updated person and the codes to
 * show once, or null when the account is gone.
 */
export async function enableTwoFactor(
  kv: Store,
  userId: string,
  secret: string,
): Promise<{ user: User; recoveryCodes: string[] } | null> {
  let recoveryCodes: string[] = [];
  const user = await commitUserChange(kv, userId, `enableTwoFactor ${userId}`, async (stored, op) => {
    const prepared = await prepareRecoveryCodes(kv, userId);
    prepared.apply(op);
    recoveryCodes = prepared.codes;
    return { ...stored, totpSecret: secret, updatedAt: new Date().toISOString() };
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
