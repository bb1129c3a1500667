// Failure counters in KV with expiry: 10 failures per account or address per 15 minutes, then 429.
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
