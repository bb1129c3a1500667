// Two-factor recovery codes: ten single-use codes per person, stored only as hashes and shown once.
// The accounts capability's store module for recovery codes.

import type { Store, StoreAtomic, StoreListEntry } from "../common/store.ts";
import { keys } from "./keys.ts";
import { commitAtomic, commitOrThrow, KvConflict } from "../common/kv.ts";
import { hashToken } from "../common/ids.ts";

export const RECOVERY_CODE_COUNT = 10;

/** Lowercase RFC 4648 base32: 32 symbols, so one random byte masked to 5 bits picks one without bias. */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

interface StoredRecoveryCode {
  createdAt: string;
}

/** A fresh code, `xxxxx-xxxxx`: ten base32 symbols, 50 bits of entropy. */
export function newRecoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  const chars = Array.from(bytes, (b) => ALPHABET[b & 31]);
  return `${chars.slice(0, 5).join("")}-${chars.slice(5).join("")}`;
}

/** The code as typed (any case, dash and spaces optional) in canonical form, or null when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]+/g, "");
  return /^[a-z2-7]{10}$/.test(s) ? s : null;
}

/** The stored form: SHA-256 over user id and code, so equal codes of two people never share a key. */
async function hashRecoveryCode(userId: string, normalized: string): Promise<string> {
  return await hashToken(`recovery:${userId}:${normalized}`);
}

/**
 * A new set of codes plus `apply`, which adds to an atomic operation the writes that replace every
 * existing code of the person with the new ones (versionstamp-checked against the codes read here,
 * so a concurrent replacement or use makes the commit fail instead of leaving a mixed set).
 */
export async function prepareRecoveryCodes(
  kv: Store,
  userId: string,
): Promise<{ codes: string[]; apply(op: StoreAtomic): StoreAtomic }> {
  const existing: StoreListEntry<unknown>[] = [];
  for await (const e of kv.list({ prefix: keys.recoveryCodes(userId) })) existing.push(e);
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((c) => hashRecoveryCode(userId, normalizeRecoveryCode(c)!)));
  const value: StoredRecoveryCode = { createdAt: new Date().toISOString() };
  return {
    codes,
    apply(op) {
      for (const e of existing) op.check(e).delete(e.key);
      for (const h of hashes) op.set(keys.recoveryCode(userId, h), value);
      return op;
    },
  };
}

/** Replaces all of a person's recovery codes with ten new ones in one atomic commit; returns the new codes. */
export async function regenerateRecoveryCodes(kv: Store, userId: string): Promise<string[]> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const prepared = await prepareRecoveryCodes(kv, userId);
    if ((await commitAtomic(prepared.apply(kv.atomic()))).ok) return prepared.codes;
  }
  throw new KvConflict(`regenerateRecoveryCodes ${userId}`);
}

/** Uses a code up: true exactly once per code, even for concurrent attempts (atomic check-and-delete). */
export async function consumeRecoveryCode(kv: Store, userId: string, input: string): Promise<boolean> {
  const normalized = normalizeRecoveryCode(input);
  if (!normalized) return false;
  const key = keys.recoveryCode(userId, await hashRecoveryCode(userId, normalized));
  // A lost commit is looked at again: gone means a concurrent use won; still there means the
  // database was busy, and the code must not be reported as wrong.
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get(key);
    if (entry.versionstamp === null) return false;
    if ((await commitAtomic(kv.atomic().check(entry).delete(key))).ok) return true;
  }
  throw new KvConflict(`consumeRecoveryCode ${userId}`);
}

/** How many unused recovery codes a person has left. */
export async function countRecoveryCodes(kv: Store, userId: string): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix: keys.recoveryCodes(userId) })) n++;
  return n;
}

/** Adds the deletion of every recovery code of a person to `op` (checked, like prepareRecoveryCodes). */
export async function deleteRecoveryCodesInto(
  kv: Store,
  userId: string,
  op: StoreAtomic,
): Promise<void> {
  // Returns nothing: an AtomicOperation is a thenable that refuses to be awaited.
  for await (const e of kv.list({ prefix: keys.recoveryCodes(userId) })) op.check(e).delete(e.key);
}

/** Deletes every recovery code of a person in one atomic commit. */
export async function deleteRecoveryCodes(kv: Store, userId: string): Promise<void> {
  const op = kv.atomic();
  await deleteRecoveryCodesInto(kv, userId, op);
  await commitOrThrow(op, `deleteRecoveryCodes ${userId}`);
}
