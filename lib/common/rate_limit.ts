// Attempt counters in KV with expiry (10 per account, 100 per address per 15 minutes), then 429.
// reserveAttempt counts an attempt before it is evaluated and gives it back on success, so parallel
// tries cannot race past the limit (checking first and counting later let 107 of 200 through).
// lib/common's store module for rate-limit counters (keys in lib/common/keys.ts).

import type { Store, StoreAtomic, StoreEntry, StoreKey } from "./store.ts";
import { commonKeys } from "./keys.ts";
import { commitAtomic, KvConflict } from "./kv.ts";
import { TooManyRequests } from "./errors.ts";

export interface RateLimitRule {
  max: number;
  windowMs: number;
}

export const AUTH_RULE: RateLimitRule = { max: 10, windowMs: 15 * 60 * 1000 };

/**
 * The rule for a client address next to an account: looser, because one address is often a whole
 * school or office behind NAT, where a class signing in at once must not lock itself out; the
 * account's own rule still stops guessing at any one account.
 */
export const ADDRESS_RULE: RateLimitRule = { max: 100, windowMs: 15 * 60 * 1000 };

/** A subject with a rule of its own (others in the same call use the call's rule). */
export interface RuledSubject {
  subject: string;
  rule: RateLimitRule;
}

/** How long a reservation or its release keeps retrying lost commits before giving up. */
const CONTENTION_BUDGET_MS = 5_000;

/**
 * A short random pause after a lost commit, growing with the number lost: many attempts on one hot
 * counter (a class signing in from one address) then take turns instead of colliding every time.
 */
function backoff(lost: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** lost, 64);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Counter {
  count: number;
  resetAt: number;
}

/** The KV key of a subject's failure counter (for callers that read it along with other keys). */
export function rateLimitKey(scope: string, subject: string): StoreKey {
  return commonKeys.rateLimit(scope, subject);
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
 * when any subject has used up its rule's `max` (a subject's own, else `rule`), counting nothing
 * then. A lost commit means another attempt's commit won: the loop backs off a little, re-reads and
 * tries again for up to CONTENTION_BUDGET_MS, then throws KvConflict (never lets an attempt through
 * uncounted). Keep the reservation on failure (it is the recorded failure); release it on success.
 */
export async function reserveAttempt(
  kv: Store,
  scope: string,
  subjects: (string | RuledSubject)[],
  rule: RateLimitRule = AUTH_RULE,
  message?: string,
): Promise<Reservation> {
  const names = subjects.map((s) => typeof s === "string" ? s : s.subject);
  const rules = subjects.map((s) => typeof s === "string" ? rule : s.rule);
  const keyList = names.map((s) => commonKeys.rateLimit(scope, s));
  await untilCommitted(`reserveAttempt ${scope}`, kv, keyList, (entries, live, now) => {
    const limitedMs = Math.max(0, ...live.map((c, i) => (c && c.count >= rules[i].max ? c.resetAt - now : 0)));
    if (limitedMs > 0) throw new TooManyRequests(limitedMs / 1000, message);
    const op = kv.atomic();
    live.forEach((c, i) => {
      const next: Counter = c
        ? { count: c.count + 1, resetAt: c.resetAt }
        : { count: 1, resetAt: now + rules[i].windowMs };
      op.check(entries[i]).set(keyList[i], next, { expireIn: next.resetAt - now });
    });
    return op;
  });
  return reservation(kv, scope, names, keyList);
}

/**
 * Reads the counters at `keyList`, lets `change` build one commit from them (checked against what
 * was read), and commits it; a lost commit (another attempt's commit won) backs off, re-reads and
 * tries again for up to CONTENTION_BUDGET_MS, then throws KvConflict. `change` may throw to stop.
 */
async function untilCommitted(
  what: string,
  kv: Store,
  keyList: StoreKey[],
  change: (entries: StoreEntry<Counter>[], live: (Counter | null)[], now: number) => StoreAtomic,
): Promise<void> {
  const deadline = Date.now() + CONTENTION_BUDGET_MS;
  for (let lost = 0; lost === 0 || Date.now() < deadline; lost++) {
    if (lost > 0) await backoff(lost);
    const entries = await kv.getMany<Counter[]>(keyList);
    const now = Date.now();
    if ((await commitAtomic(change(entries, liveCounters(entries, now), now))).ok) return;
  }
  throw new KvConflict(what);
}

function reservation(kv: Store, scope: string, subjects: string[], keyList: StoreKey[]): Reservation {
  let released = false;
  return {
    async release(clear: string[] = []) {
      if (released) return;
      released = true;
      await untilCommitted(`release ${scope}`, kv, keyList, (entries, live, now) => {
        const op = kv.atomic();
        live.forEach((c, i) => {
          op.check(entries[i]);
          if (!c || clear.includes(subjects[i]) || c.count <= 1) op.delete(keyList[i]);
          else op.set(keyList[i], { count: c.count - 1, resetAt: c.resetAt }, { expireIn: c.resetAt - now });
        });
        return op;
      });
    },
  };
}
