// Single-use tokens (email verification, password reset, email change): stored by hash with
// expireIn, consumed by an atomic read-and-delete so a link works exactly once.
// The accounts capability's store module for one-time tokens.

import type { Store, StoreAtomic } from "../common/store.ts";
import { keys } from "./keys.ts";
import { commitAtomic, commitOrThrow, KvConflict } from "../common/kv.ts";
import { hashToken, randomToken } from "../common/ids.ts";

export type TokenPurpose = "verify_email" | "reset_password" | "change_email";

interface Stored<T> {
  data: T;
  expiresAt: number;
}

/**
 * Issues a token carrying `data`, valid for `ttlMs`. Returns the secret to put in a link. `also`
 * adds writes that must land in the same commit (the queued email carrying the link), given the token.
 */
export async function issueToken<T>(
  kv: Store,
  purpose: TokenPurpose,
  data: T,
  ttlMs: number,
  also?: (op: StoreAtomic, token: string) => void,
): Promise<string> {
  const token = randomToken(32);
  const key = keys.oneTimeToken(purpose, await hashToken(token));
  const value: Stored<T> = { data, expiresAt: Date.now() + ttlMs };
  const op = kv.atomic().check({ key, versionstamp: null }).set(key, value, { expireIn: ttlMs });
  also?.(op, token);
  await commitOrThrow(op, "issueToken");
  return token;
}

/**
 * The work of issueToken without its effect: a random token hashed, and a commit whose only check
 * (that key being free) writes nothing. Pages that must not tell whether an account exists call it
 * on the path that issues no link, so both paths cost about the same.
 */
export async function issueNoToken(kv: Store, purpose: TokenPurpose): Promise<void> {
  const key = keys.oneTimeToken(purpose, await hashToken(randomToken(32)));
  await commitAtomic(kv.atomic().check({ key, versionstamp: null }));
}

/** Reads a token without using it up (to show the form behind a link). Null when unknown or expired. */
export async function peekToken<T>(kv: Store, purpose: TokenPurpose, token: string): Promise<T | null> {
  if (!token || token.length > 100) return null;
  const entry = await kv.get<Stored<T>>(keys.oneTimeToken(purpose, await hashToken(token)));
  if (!entry.value || entry.value.expiresAt <= Date.now()) return null;
  return entry.value.data;
}

/** Uses a token up: returns its data once; every later call (or a concurrent one) gets null. */
export async function consumeToken<T>(kv: Store, purpose: TokenPurpose, token: string): Promise<T | null> {
  if (!token || token.length > 100) return null;
  const key = keys.oneTimeToken(purpose, await hashToken(token));
  // A lost commit is looked at again: gone means a concurrent use won; still there means the
  // database was busy, and the link must not count as used.
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<Stored<T>>(key);
    if (!entry.value || entry.value.expiresAt <= Date.now()) return null;
    if ((await commitAtomic(kv.atomic().check(entry).delete(key))).ok) return entry.value.data;
  }
  throw new KvConflict(`consumeToken ${purpose}`);
}
