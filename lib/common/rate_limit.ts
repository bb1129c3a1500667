// Attempt counters in KV with expiry: 10 failures per account or address per 15 minutes, then 429.
// reserveAttempt counts an attempt before it is evaluated (and gives it back on success); the older
// assertNotLimited + recordFailure pair checks first and counts later, so parallel tries race past it.
// lib/common's store module for rate-limit counters (keys in lib/common/keys.ts).

import type { Store, StoreKey } from "./store.ts";
import { commonKeys } from "./keys.ts";
import { commitAtomic, KvConflict } from "./kv.ts";
import { TooManyRequests } from "./errors.ts";

export interface RateLimitRule {
  max: number;
  windowMs: number;
}

export const AUTH_RULE: RateLimitRule = { max: 10, windowMs: 15 * 60 * 1000 };

interface Counter {
  count: number;
  resetAt: number;
}

/** The KV key of a subject's failure counter (for callers that read it along with other keys). */
export function rateLimitKey(scope: string, subject: string): StoreKey {
  return commonKeys.rateLimit(scope, subject);
}

/**
 * Milliseconds until a counter read from `rateLimitKey` frees up when it has used up `rule`'s
 * failures, else 0 (no counter, window over, or failures left).
 */
export function limitedForMs(counter: unknown, rule: RateLimitRule, now = Date.now()): number {
  const c = counter as Counter | null;
  return c && c.resetAt > now && c.count >= rule.max ? c.resetAt - now : 0;
}

/** Throws TooManyRequests (with Retry-After) when any subject has used up its failures. */
export async function assertNotLimited(
  kv: Store,
  scope: string,
  subjects: string[],
  rule: RateLimitRule = AUTH_RULE,
): Promise<void> {
  const entries = await kv.getMany<Counter[]>(subjects.map((s) => commonKeys.rateLimit(scope, s)));
  const now = Date.now();
  for (const e of entries) {
    const ms = limitedForMs(e.value, rule, now);
    if (ms > 0) throw new TooManyRequests(ms / 1000);
  }
}

/**
 * Counts one failure against each subject (atomic per subject; the window starts at the first
 * failure). Throws KvConflict rather than drop a failure: an uncounted failure is a free guess.
 */
export async function recordFailure(
  kv: Store,
  scope: string,
  subjects: string[],
  rule: RateLimitRule = AUTH_RULE,
): Promise<void> {
  for (const subject of subjects) {
    const key = commonKeys.rateLimit(scope, subject);
    let counted = false;
    for (let attempt = 0; attempt < 10 && !counted; attempt++) {
      const entry = await kv.get<Counter>(key);
      const now = Date.now();
      const live = entry.value && entry.value.resetAt > now ? entry.value : null;
      const next: Counter = live
        ? { count: live.count + 1, resetAt: live.resetAt }
        : { count: 1, resetAt: now + rule.windowMs };
      counted = (await commitAtomic(kv.atomic().check(entry).set(key, next, { expireIn: next.resetAt - now }))).ok;
    }
    if (!counted) throw new KvConflict(`recordFailure ${scope}`);
  }
}

/** Clears an account's counter after a success (the address counter stays). */
export async function clearFailures(kv: Store, scope: string, subject: string): Promise<void> {
  await kv.delete(commonKeys.rateLimit(scope, subject));
}

// ---------------------------------------------------------------------------------------------
// Reservations: the attempt is counted before anything is checked, so however many arrive at
// once, no more than `rule.max` per window are ever evaluated.

/** One counted attempt; `release` gives it back when the attempt turned out not to be a failure. */
export interface Reservation {
  /**
   * Gives this attempt back (each subject's counter goes down by one) and clears the counters of
   * `clear` (for example the account's, after its right password), in one checked commit.
   * Idempotent: a second call does nothing.
   */
  release(clear?: string[]): Promise<void>;
}

/** Counters of `subjects` as read now: the live ones (window not over), else null. */
function liveCounters(entries: { value: unknown }[], now: number): (Counter | null)[] {
  return entries.map((e) => {
    const c = e.value as Counter | null;
    return c && c.resetAt > now ? c : null;
  });
}

/**
 * Counts one attempt against every subject in ONE atomic commit checked against each counter's
 * versionstamp, before the caller evaluates anything. Throws TooManyRequests (with Retry-After)
 * when any subject has used up `rule.max`, counting nothing then. A lost commit means another
 * attempt's commit won, so the loop re-reads and tries again up to `rule.max * 2 + 10` times, then
 * throws KvConflict (never lets an attempt through uncounted). Keep the reservation on failure (it
 * is the recorded failure); release it on success.
 */
export async function reserveAttempt(
  kv: Store,
  scope: string,
  subjects: string[],
  rule: RateLimitRule = AUTH_RULE,
  message?: string,
): Promise<Reservation> {
  const keyList = subjects.map((s) => commonKeys.rateLimit(scope, s));
  const tries = rule.max * 2 + 10;
  for (let attempt = 0; attempt < tries; attempt++) {
    const entries = await kv.getMany<Counter[]>(keyList);
    const now = Date.now();
    const live = liveCounters(entries, now);
    const limitedMs = Math.max(0, ...live.map((c) => (c && c.count >= rule.max ? c.resetAt - now : 0)));
    if (limitedMs > 0) throw new TooManyRequests(limitedMs / 1000, message);
    const op = kv.atomic();
    live.forEach((c, i) => {
      const next: Counter = c ? { count: c.count + 1, resetAt: c.resetAt } : { count: 1, resetAt: now + rule.windowMs };
      op.check(entries[i]).set(keyList[i], next, { expireIn: next.resetAt - now });
    });
    if ((await commitAtomic(op)).ok) return reservation(kv, scope, subjects, keyList);
  }
  throw new KvConflict(`reserveAttempt ${scope}`);
}

function reservation(kv: Store, scope: string, subjects: string[], keyList: StoreKey[]): Reservation {
  let released = false;
  return {
    async release(clear: string[] = []) {
      if (released) return;
      released = true;
      // Bounded like the reservation: every lost commit is another attempt's commit that won.
      for (let attempt = 0; attempt < 100; attempt++) {
        const entries = await kv.getMany<Counter[]>(keyList);
        const now = Date.now();
        const live = liveCounters(entries, now);
        const op = kv.atomic();
        live.forEach((c, i) => {
          op.check(entries[i]);
          if (!c || clear.includes(subjects[i]) || c.count <= 1) op.delete(keyList[i]);
          else op.set(keyList[i], { count: c.count - 1, resetAt: c.resetAt }, { expireIn: c.resetAt - now });
        });
        if ((await commitAtomic(op)).ok) return;
      }
      throw new KvConflict(`release ${scope}`);
    },
  };
}
