// Sign-in sessions in KV with expireIn. The cookie holds a random token; KV holds only its hash.
// The accounts capability's store module for sessions.

import type { Store } from "../common/store.ts";
import { keys } from "./keys.ts";
import { commitAtomic, commitOrThrow, KvConflict } from "../common/kv.ts";
import { hashToken, randomToken } from "../common/ids.ts";

export const SESSION_TTL_MS = 14 * 24 * 60 * 60 * 1000;
/** A half-signed-in session (password ok, TOTP code still owed) lives 10 minutes. */
export const PENDING_TTL_MS = 10 * 60 * 1000;

export interface Session {
  userId: string;
  /** "full" once every factor is checked; "totp" while the second factor is owed. */
  stage: "full" | "totp";
  createdAt: string;
  expiresAt: string;
  userAgent: string;
  /** TOTP secret being enrolled, kept here until a valid code turns it on. */
  pendingTotpSecret?: string;
}

/** Creates a session atomically with its per-user index; returns the cookie token. */
export async function createSession(
  kv: Store,
  userId: string,
  stage: Session["stage"],
  userAgent = "",
): Promise<{ token: string; session: Session }> {
  const token = randomToken(32);
  const tokenHash = await hashToken(token);
  const ttl = stage === "full" ? SESSION_TTL_MS : PENDING_TTL_MS;
  const now = Date.now();
  const session: Session = {
    userId,
    stage,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + ttl).toISOString(),
    userAgent: userAgent.slice(0, 200),
  };
  await commitOrThrow(
    kv.atomic()
      .check({ key: keys.session(tokenHash), versionstamp: null })
      .set(keys.session(tokenHash), session, { expireIn: ttl })
      .set(keys.sessionByUser(userId, tokenHash), session.createdAt, { expireIn: ttl }),
    "createSession",
  );
  return { token, session };
}

/** Looks a session up by its cookie token; expired sessions are treated as absent. */
export async function getSession(kv: Store, token: string): Promise<{ tokenHash: string; session: Session } | null> {
  if (!token || token.length > 100) return null;
  const tokenHash = await hashToken(token);
  const entry = await kv.get<Session>(keys.session(tokenHash));
  if (!entry.value || Date.parse(entry.value.expiresAt) <= Date.now()) return null;
  return { tokenHash, session: entry.value };
}

/**
 * Replaces fields of a stored session, keeping its expiry (versionstamp-checked; on a lost race the
 * patch is applied again to the newer record). False when the session is gone (signed out meanwhile).
 */
export async function updateSession(kv: Store, tokenHash: string, patch: Partial<Session>): Promise<boolean> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const entry = await kv.get<Session>(keys.session(tokenHash));
    if (!entry.value) return false;
    const next = { ...entry.value, ...patch };
    const expireIn = Math.max(1000, Date.parse(next.expiresAt) - Date.now());
    if ((await commitAtomic(kv.atomic().check(entry).set(keys.session(tokenHash), next, { expireIn }))).ok) return true;
  }
  throw new KvConflict("updateSession");
}

/** Deletes a session and its per-user index entry in one commit (throws when the commit fails). */
export async function deleteSession(kv: Store, tokenHash: string): Promise<void> {
  const entry = await kv.get<Session>(keys.session(tokenHash));
  const op = kv.atomic().delete(keys.session(tokenHash));
  if (entry.value) op.delete(keys.sessionByUser(entry.value.userId, tokenHash));
  await commitOrThrow(op, "deleteSession");
}

/** Ends every session of a person, optionally keeping one (the caller's own). Returns how many ended. */
export async function deleteUserSessions(kv: Store, userId: string, keepTokenHash?: string): Promise<number> {
  let ended = 0;
  let op = kv.atomic();
  let pending = 0;
  for await (const e of kv.list({ prefix: keys.sessionsByUser(userId) })) {
    const tokenHash = String(e.key[2]);
    if (tokenHash === keepTokenHash) continue;
    op.delete(e.key).delete(keys.session(tokenHash));
    ended++;
    if (++pending >= 400) {
      await commitOrThrow(op, "deleteUserSessions");
      op = kv.atomic();
      pending = 0;
    }
  }
  // A failed batch throws: "signed out everywhere" must not be reported when sessions survived.
  if (pending) await commitOrThrow(op, "deleteUserSessions");
  return ended;
}
