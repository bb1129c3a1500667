// The reminders capability's store module for plans, the planned-meetings index, channel choices
// and "sent" markers: every read and write of them goes through here, on the Store port, with key
// shapes from keys.ts. What to plan and how to settle a send is decided in planning.ts.

import type { Store, StoreEntry, StoreKey } from "../common/store.ts";
import { commitAtomic, commitOrThrow, KvConflict } from "../common/kv.ts";
import { pushKeys } from "./keys.ts";
import type { Delayed, PlanMessage, RetryMessage, SentMarker } from "./planning.ts";

/** Markers outlive every plan that could queue the same reminder again (plans look 14 days ahead). */
export const MARKER_TTL_MS = 40 * 24 * 3600_000;
/** Enqueues per atomic commit when planning (each commit re-checks that the plan is still current). */
const ENQUEUE_BATCH = 10;

interface PlanRecord {
  seq: number;
  changedAt: string;
}

/** A meeting's plan as read: its sequence (0 before the first plan) and what guards a commit on it. */
export interface PlanEntry {
  meetingId: string;
  seq: number;
  entry: StoreEntry<PlanRecord>;
}

/** Reads a meeting's current plan. */
export async function readPlan(kv: Store, meetingId: string): Promise<PlanEntry> {
  const entry = await kv.get<PlanRecord>(pushKeys.plan(meetingId));
  return { meetingId, seq: entry.value?.seq ?? 0, entry };
}

/**
 * Bumps a meeting's plan sequence (making every reminder queued so far stale) and enqueues the plan
 * message for the new sequence, in one atomic commit; retries lost races. Returns the new sequence.
 */
export async function bumpPlan(kv: Store, meetingId: string, nowMs = Date.now()): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const plan = await readPlan(kv, meetingId);
    const seq = plan.seq + 1;
    const message: PlanMessage = { type: "reminders.plan", meetingId, seq };
    const res = await commitAtomic(
      kv.atomic().check(plan.entry).set(plan.entry.key, planRecord(seq, nowMs)).enqueue(message),
    );
    if (res.ok) return seq;
  }
  throw new Error(`could not re-plan reminders for meeting ${meetingId}: kept racing`);
}

/**
 * The weekly roll-forward: moves the plan from `plan.seq` to the next sequence without queueing
 * anything. Null when a newer plan stands; throws when the database was busy (the queue redelivers).
 */
export async function rollPlan(kv: Store, plan: PlanEntry, nowMs = Date.now()): Promise<PlanEntry | null> {
  const seq = plan.seq + 1;
  const res = await commitAtomic(kv.atomic().check(plan.entry).set(plan.entry.key, planRecord(seq, nowMs)));
  if (!res.ok) return await lostToNewerPlan(kv, plan);
  const now = await readPlan(kv, plan.meetingId);
  return now.seq === seq ? now : null;
}

/**
 * Enqueues a plan's messages in batches, each batch guarded by the plan entry, so a change while
 * planning stops the (now stale) plan at once. Batches already queued are harmless when redelivery
 * queues them again: markers stop a second send. False when a newer plan stands; throws when busy.
 */
export async function enqueueUnderPlan(kv: Store, plan: PlanEntry, messages: Delayed[]): Promise<boolean> {
  for (let i = 0; i < messages.length; i += ENQUEUE_BATCH) {
    const op = kv.atomic().check(plan.entry);
    for (const { message, delay } of messages.slice(i, i + ENQUEUE_BATCH)) op.enqueue(message, { delay });
    if (!(await commitAtomic(op)).ok) return (await lostToNewerPlan(kv, plan)) !== null;
  }
  return true;
}

/**
 * After a lost commit guarded by the plan entry: null when the plan changed (a newer plan stands),
 * and throws when it did not (the database was busy), so the queue redelivers the message instead
 * of the plan silently stopping.
 */
async function lostToNewerPlan(kv: Store, plan: PlanEntry): Promise<null> {
  const now = await kv.get<PlanRecord>(plan.entry.key);
  if (now.versionstamp === plan.entry.versionstamp) throw new KvConflict(`reminder plan ${plan.meetingId}: busy`);
  return null;
}

function planRecord(seq: number, nowMs: number): PlanRecord {
  return { seq, changedAt: new Date(nowMs).toISOString() };
}

/** Records, in one commit, that this meeting's reminders mention these accounts (until `expireInMs`). */
export async function indexPlannedMeetings(
  kv: Store,
  meetingId: string,
  userIds: string[],
  expireInMs: number,
): Promise<void> {
  const op = kv.atomic();
  for (const userId of userIds) {
    op.set(pushKeys.plannedMeetingByUser(userId, meetingId), true, { expireIn: expireInMs });
  }
  await commitOrThrow(op, `reminder index ${meetingId}`);
}

/** The meetings whose reminders mention this account. */
export async function plannedMeetingIds(kv: Store, userId: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of kv.list({ prefix: pushKeys.plannedMeetingsByUser(userId) })) ids.push(String(e.key[2]));
  return ids;
}

/**
 * The channel one person's reminder goes out on, decided once: the stored choice, or `choice`
 * stored now. A lost race uses the winner's choice; a busy database throws (nothing chosen yet,
 * so the queue redelivers rather than send unrecorded).
 */
export async function chooseChannel(
  kv: Store,
  ref: { personKey: string; meetingId: string; start: number; offset: number },
  choice: () => "push" | "email",
): Promise<"push" | "email"> {
  const key = pushKeys.reminderChannel(ref.personKey, ref.meetingId, ref.start, ref.offset);
  const stored = (await kv.get<"push" | "email">(key)).value;
  if (stored) return stored;
  const chosen = choice();
  const res = await commitAtomic(
    kv.atomic().check({ key, versionstamp: null }).set(key, chosen, { expireIn: MARKER_TTL_MS }),
  );
  const channel = res.ok ? chosen : (await kv.get<"push" | "email">(key)).value;
  if (!channel) throw new KvConflict(`reminder channel ${ref.meetingId}: busy`);
  return channel;
}

/** A claimed marker: only its holder sends, and settles it with this versionstamp. */
export interface Claim {
  key: StoreKey;
  versionstamp: string;
}

/** Where a marker lives: one reminder (meeting, start, offset) on one channel ("push:<id>", "email:<hash>"). */
export interface MarkerRef {
  channel: string;
  meetingId: string;
  start: number;
  offset: number;
}

/**
 * Claims the marker for attempt `attempt`: the first attempt needs no marker yet (versionstamp
 * null); a retry needs the marker in "retry" for exactly this attempt. Null when someone else holds
 * it; throws when the commit failed with the marker unchanged (a busy database), so the queue
 * redelivers instead of the reminder being dropped.
 */
export async function claimMarker(
  kv: Store,
  ref: MarkerRef,
  attempt: number,
  nowMs = Date.now(),
): Promise<Claim | null> {
  const key = pushKeys.reminderSent(ref.channel, ref.meetingId, ref.start, ref.offset);
  const marker: SentMarker = { state: "sending", attempt, at: new Date(nowMs).toISOString() };
  const entry: StoreEntry<SentMarker> = attempt === 1
    ? { key, value: null, versionstamp: null }
    : await kv.get<SentMarker>(key);
  if (attempt !== 1 && (entry.value?.state !== "retry" || entry.value.attempt !== attempt)) return null;
  const res = await commitAtomic(kv.atomic().check(entry).set(key, marker, { expireIn: MARKER_TTL_MS }));
  if (res.ok) return { key, versionstamp: res.versionstamp };
  if ((await kv.get(key)).versionstamp === entry.versionstamp) throw new KvConflict(`reminder claim: busy`);
  return null;
}

/**
 * Writes a claimed marker's outcome, with the retry message (if any) in the same commit. A failed
 * commit with the marker unchanged was a busy database and is tried again (five times in all);
 * a changed marker expired or was removed by hand. Says whether it was recorded.
 */
export async function settleMarker(
  kv: Store,
  claim: Claim,
  marker: SentMarker,
  retry: { message: RetryMessage; delayMs: number } | null,
): Promise<{ recorded: boolean; unchanged: boolean }> {
  const op = kv.atomic().check(claim).set(claim.key, marker, { expireIn: MARKER_TTL_MS });
  if (retry) op.enqueue(retry.message, { delay: retry.delayMs });
  for (let tries = 1;; tries++) {
    if ((await commitAtomic(op)).ok) return { recorded: true, unchanged: true };
    const unchanged = (await kv.get(claim.key)).versionstamp === claim.versionstamp;
    if (!unchanged || tries >= 5) return { recorded: false, unchanged };
  }
}
