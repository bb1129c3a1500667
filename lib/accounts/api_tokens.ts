// Personal access tokens for the REST API: shown once, stored as SHA-256 hashes.
// The accounts capability's store module for API tokens.

import type { Store } from "../common/store.ts";
import { keys } from "./keys.ts";
import { commitAtomic, commitOrThrow, KvConflict } from "../common/kv.ts";
import { hashToken, newId, randomToken } from "../common/ids.ts";

export interface ApiToken {
  id: string;
  userId: string;
  name: string;
  /** First characters of the token, shown in lists so a person can tell tokens apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
}

const TOKEN_PREFIX = "tsk_";

/** Creates a token; the returned secret is never stored and cannot be shown again. */
export async function createApiToken(
  kv: Store,
  userId: string,
  name: string,
): Promise<{ token: ApiToken; secret: string }> {
  const secret = TOKEN_PREFIX + randomToken(32);
  const tokenHash = await hashToken(secret);
  const token: ApiToken = {
    id: newId(),
    userId,
    name: name.trim(),
    prefix: secret.slice(0, 10),
    createdAt: new Date().toISOString(),
    lastUsedAt: null,
  };
  await commitOrThrow(
    kv.atomic()
      .check({ key: keys.apiToken(tokenHash), versionstamp: null })
      .set(keys.apiToken(tokenHash), token)
      .set(keys.apiTokenByUser(userId, token.id), tokenHash),
    "createApiToken",
  );
  return { token, secret };
}

/** Resolves a bearer secret to its token record, or null. */
export async function findApiToken(kv: Store, secret: string): Promise<ApiToken | null> {
  if (!secret.startsWith(TOKEN_PREFIX) || secret.length > 100) return null;
  return (await kv.get<ApiToken>(keys.apiToken(await hashToken(secret)))).value;
}

/** Records that a token was just used; writes at most once a minute per token (versionstamp-checked). */
export async function touchApiToken(kv: Store, secret: string, now = Date.now()): Promise<void> {
  const key = keys.apiToken(await hashToken(secret));
  const entry = await kv.get<ApiToken>(key);
  if (!entry.value) return;
  if (entry.value.lastUsedAt && now - Date.parse(entry.value.lastUsedAt) < 60_000) return;
  const res = await commitAtomic(
    kv.atomic().check(entry).set(key, { ...entry.value, lastUsedAt: new Date(now).toISOString() }),
  );
  // Lost: another request recorded a use at the same moment, or the token was revoked meanwhile
  // (the check keeps a revoked token from being written back). Either way there is nothing to redo.
  if (!res.ok) return;
}

export async function listApiTokens(kv: Store, userId: string): Promise<ApiToken[]> {
  const out: ApiToken[] = [];
  for await (const e of kv.list<string>({ prefix: keys.apiTokensByUser(userId) })) {
    const t = (await kv.get<ApiToken>(keys.apiToken(e.value))).value;
    if (t) out.push(t);
  }
  return out;
}

/**
 * Revokes one of a person's tokens (index and token in one commit); false when it is not theirs or
 * already gone, so of two concurrent revokes exactly one answers true.
 */
export async function revokeApiToken(kv: Store, userId: string, tokenId: string): Promise<boolean> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const idx = await kv.get<string>(keys.apiTokenByUser(userId, tokenId));
    if (!idx.value) return false;
    if ((await commitAtomic(kv.atomic().check(idx).delete(idx.key).delete(keys.apiToken(idx.value)))).ok) return true;
  }
  throw new KvConflict(`revokeApiToken ${tokenId}`);
}
