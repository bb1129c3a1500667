// The scheduling capability's store module for calendar-feed tokens: a person's feed record (which
// holds the token, so the account page can show the URL again) and the token-hash → person index.
// Both keys always change in one checked commit.

import type { Store } from "../common/store.ts";
import { commitOrThrow } from "../common/kv.ts";
import { hashToken } from "../common/ids.ts";
import { scheduleKeys } from "./keys.ts";

export interface FeedRecord {
  token: string;
  createdAt: string;
}

/** The person's feed, or null when they have none (never made, or revoked). */
export async function getFeed(kv: Store, userId: string): Promise<FeedRecord | null> {
  return (await kv.get<FeedRecord>(scheduleKeys.feedByUser(userId))).value;
}

/**
 * Stores `record` as the person's feed, retiring the old token in the same commit (its URL stops
 * working at once). Throws KvConflict when the feed changed since it was read.
 */
export async function replaceFeed(kv: Store, userId: string, record: FeedRecord): Promise<void> {
  const current = await kv.get<FeedRecord>(scheduleKeys.feedByUser(userId));
  const op = kv.atomic().check(current)
    .set(scheduleKeys.feedByUser(userId), record)
    .set(scheduleKeys.feedToken(await hashToken(record.token)), userId);
  if (current.value) op.delete(scheduleKeys.feedToken(await hashToken(current.value.token)));
  await commitOrThrow(op, `replaceFeed ${userId}`);
}

/** Deletes the person's feed and its token index in one commit; a no-op when there is none. */
export async function deleteFeed(kv: Store, userId: string): Promise<void> {
  const current = await kv.get<FeedRecord>(scheduleKeys.feedByUser(userId));
  if (!current.value) return;
  await commitOrThrow(
    kv.atomic().check(current).delete(current.key).delete(scheduleKeys.feedToken(await hashToken(current.value.token))),
    `deleteFeed ${userId}`,
  );
}

/** The person a feed token (already checked for shape) belongs to, or null. */
export async function feedUserId(kv: Store, token: string): Promise<string | null> {
  return (await kv.get<string>(scheduleKeys.feedToken(await hashToken(token)))).value;
}
