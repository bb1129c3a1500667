// Personal calendar feeds: a secret URL per person (regenerate, revoke) serving every meeting they
// host or are invited to as iCalendar PUBLISH, with an ETag from the records' versionstamps.

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import { commitOrThrow } from "../common/kv.ts";
import { getUser } from "../accounts/users.ts";
import type { User } from "../accounts/users.ts";
import { hashToken, randomToken } from "../common/ids.ts";
import { buildFeed } from "./ics.ts";
import type { CalendarItem } from "./ics.ts";
import { sipHostOf } from "./invitations.ts";
import { listSchedulesFor, scheduleVersions } from "./schedule.ts";
import { scheduleKeys } from "./keys.ts";

export interface FeedRecord {
  /** Kept so the account page can show the URL again; KV also indexes it by hash for lookups. */
  token: string;
  createdAt: string;
}

/** The feed URL for a token. */
export function feedUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/calendar/${token}.ics`;
}

/** The person's feed, or null when they have none (never made, or revoked). */
export async function getFeed(kv: Store, userId: string): Promise<FeedRecord | null> {
  return (await kv.get<FeedRecord>(scheduleKeys.feedByUser(userId))).value;
}

/**
 * Gives the person a fresh feed token, atomically retiring the old one (its URL stops working in
 * the same commit). Returns the new record.
 */
export async function regenerateFeed(kv: Store, userId: string): Promise<FeedRecord> {
  const current = await kv.get<FeedRecord>(scheduleKeys.feedByUser(userId));
  const record: FeedRecord = { token: randomToken(24), createdAt: new Date().toISOString() };
  const op = kv.atomic().check(current)
    .set(scheduleKeys.feedByUser(userId), record)
    .set(scheduleKeys.feedToken(await hashToken(record.token)), userId);
  if (current.value) op.delete(scheduleKeys.feedToken(await hashToken(current.value.token)));
  await commitOrThrow(op, `regenerateFeed ${userId}`);
  return record;
}

/** The person's feed, created on first use (idempotent under races: the loser reads the winner's). */
export async function ensureFeed(kv: Store, userId: string): Promise<FeedRecord> {
  const existing = await getFeed(kv, userId);
  if (existing) return existing;
  try {
    return await regenerateFeed(kv, userId);
  } catch {
    const now = await getFeed(kv, userId);
    if (now) return now;
    throw new Error(`could not create a calendar feed for ${userId}`);
  }
}

/** Revokes the person's feed (both keys in one commit); its URL answers 404 from then on. */
export async function revokeFeed(kv: Store, userId: string): Promise<void> {
  const current = await kv.get<FeedRecord>(scheduleKeys.feedByUser(userId));
  if (!current.value) return;
  await commitOrThrow(
    kv.atomic().check(current).delete(current.key).delete(scheduleKeys.feedToken(await hashToken(current.value.token))),
    `revokeFeed ${userId}`,
  );
}

/** The enabled account a feed token belongs to, or null (unknown, revoked, disabled). */
export async function feedOwner(kv: Store, token: string): Promise<User | null> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return null;
  const userId = (await kv.get<string>(scheduleKeys.feedToken(await hashToken(token)))).value;
  if (!userId) return null;
  const user = await getUser(kv, userId);
  return user && !user.disabled ? user : null;
}

/**
 * The feed's entity tag: a hash over the versionstamps of every schedule and meeting it contains
 * (and the owner's record), so it changes exactly when the feed's content can change.
 */
export async function feedEtag(kv: Store, user: User): Promise<string> {
  const versions = await scheduleVersions(kv, user.id, user.emailVerified ? user.email : null);
  return `"${(await hashToken(`${user.id}|${user.updatedAt}|${versions}`)).slice(0, 32)}"`;
}

/** Every scheduled meeting a person hosts or (with a verified email) is invited to, with organizers. */
export async function feedItems(kv: Store, user: User): Promise<CalendarItem[]> {
  const list = await listSchedulesFor(kv, user.id, user.emailVerified ? user.email : null);
  const hosts = new Map<string, { name: string; email: string }>([[user.id, { name: user.name, email: user.email }]]);
  const items: CalendarItem[] = [];
  for (const { meeting, schedule } of list) {
    let organizer = hosts.get(meeting.hostId);
    if (!organizer) {
      const host = await getUser(kv, meeting.hostId);
      organizer = { name: host?.name ?? "", email: host?.email ?? "unknown@invalid" };
      hosts.set(meeting.hostId, organizer);
    }
    items.push({ meeting, schedule, organizer });
  }
  return items;
}

/** The person's whole feed as iCalendar text (METHOD:PUBLISH). */
export async function renderFeed(kv: Store, config: Config, user: User): Promise<string> {
  return buildFeed(await feedItems(kv, user), {
    publicUrl: config.publicUrl,
    sipHost: sipHostOf(config),
    name: `Talkspace — ${user.name}`,
  });
}
