// Personal calendar feeds: a secret URL per person (regenerate, revoke) serving every meeting they
// host or are invited to as iCalendar PUBLISH, with an ETag from the records' versionstamps. The
// join text in each event is in the owner's language (their account's, else English).

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import { getUser } from "../accounts/users.ts";
import type { User } from "../accounts/users.ts";
import { hashToken, randomToken } from "../common/ids.ts";
import { KvConflict } from "../common/kv.ts";
import { buildFeed } from "./ics.ts";
import type { CalendarItem } from "./ics.ts";
import { sipHostOf } from "./invitations.ts";
import { listSchedulesFor } from "./schedule.ts";
import { mailLocale } from "../email/i18n.ts";
import { deleteFeed, feedUserId, getFeed, replaceFeed } from "./feed_store.ts";
import type { FeedRecord } from "./feed_store.ts";

export { getFeed };
export type { FeedRecord };

/** The feed URL for a token. */
export function feedUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/calendar/${token}.ics`;
}

/**
 * Gives the person a fresh feed token, atomically retiring the old one (its URL stops working in
 * the same commit). Returns the new record.
 */
export async function regenerateFeed(kv: Store, userId: string): Promise<FeedRecord> {
  const record: FeedRecord = { token: randomToken(24), createdAt: new Date().toISOString() };
  await replaceFeed(kv, userId, record);
  return record;
}

/** The person's feed, created on first use (idempotent under races: the loser reads the winner's). */
export async function ensureFeed(kv: Store, userId: string): Promise<FeedRecord> {
  const existing = await getFeed(kv, userId);
  if (existing) return existing;
  try {
    return await regenerateFeed(kv, userId);
  } catch (err) {
    // Lost a race with another first use: the winner's feed is the one to show.
    if (!(err instanceof KvConflict)) throw err;
    const now = await getFeed(kv, userId);
    if (now) return now;
    throw err;
  }
}

/** Revokes the person's feed (both keys in one commit); its URL answers 404 from then on. */
export async function revokeFeed(kv: Store, userId: string): Promise<void> {
  await deleteFeed(kv, userId);
}

/** The enabled account a feed token belongs to, or null (unknown, revoked, disabled). */
export async function feedOwner(kv: Store, token: string): Promise<User | null> {
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) return null;
  const userId = await feedUserId(kv, token);
  if (!userId) return null;
  const user = await getUser(kv, userId);
  return user && !user.disabled ? user : null;
}

/** A feed read once: its entity tag, and the calendar text built only when asked for (not for a 304). */
export interface FeedSnapshot {
  etag: string;
  render(): string;
}

/**
 * Reads every scheduled meeting a person hosts or (with a verified email) is invited to, once, and
 * returns the feed's entity tag (a hash over the owner's record and the versionstamps of every
 * schedule and meeting in it, so it changes exactly when the content can: a new language changes the
 * record too) with a builder for the text.
 */
export async function loadFeed(kv: Store, config: Config, user: User): Promise<FeedSnapshot> {
  const list = await listSchedulesFor(kv, user.id, user.emailVerified ? user.email : null);
  const versions = list.map((e) => e.version).sort().join(",");
  // The year is in it too: a series that never ends gets VTIMEZONE years counted from now.
  const year = new Date().getUTCFullYear();
  const etag = `"${(await hashToken(`${user.id}|${user.updatedAt}|${versions}|${year}`)).slice(0, 32)}"`;
  const items = await withOrganizers(kv, user, list);
  return {
    etag,
    render: () =>
      buildFeed(items, {
        publicUrl: config.publicUrl,
        sipHost: sipHostOf(config),
        name: `Talkspace — ${user.name}`,
        locale: mailLocale(user),
      }),
  };
}

/** Every scheduled meeting a person hosts or (with a verified email) is invited to, with organizers. */
export async function feedItems(kv: Store, user: User): Promise<CalendarItem[]> {
  return await withOrganizers(kv, user, await listSchedulesFor(kv, user.id, user.emailVerified ? user.email : null));
}

async function withOrganizers(
  kv: Store,
  user: User,
  list: { meeting: CalendarItem["meeting"]; schedule: CalendarItem["schedule"] }[],
): Promise<CalendarItem[]> {
  const hosts = new Map<string, { name: string; email: string }>([[user.id, { name: user.name, email: user.email }]]);
  const missing = [...new Set(list.map((e) => e.meeting.hostId).filter((id) => !hosts.has(id)))];
  const found = await Promise.all(missing.map((id) => getUser(kv, id)));
  missing.forEach((id, i) =>
    hosts.set(id, { name: found[i]?.name ?? "", email: found[i]?.email ?? "unknown@invalid" })
  );
  return list.map(({ meeting, schedule }) => ({ meeting, schedule, organizer: hosts.get(meeting.hostId)! }));
}

/** The person's whole feed as iCalendar text (METHOD:PUBLISH). */
export async function renderFeed(kv: Store, config: Config, user: User): Promise<string> {
  return (await loadFeed(kv, config, user)).render();
}
