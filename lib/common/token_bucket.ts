// Token buckets for in-process flood limits (the meeting socket's chat): a burst of `burst` at once,
// then `perSecond` sustained. A bucket takes no storage: limits that must hold across processes
// belong in lib/common/rate_limit.ts instead.

export interface BucketRule {
  burst: number;
  perSecond: number;
}

/** Buckets by key, dropped once they have refilled (so idle keys cost nothing). */
export class TokenBuckets {
  #buckets = new Map<string, { tokens: number; at: number }>();
  #lastSweep = 0;

  constructor(readonly rule: BucketRule, private now: () => number = () => performance.now()) {}

  /** Takes one token for `key`; false when its bucket is empty (the caller refuses the action). */
  take(key: string): boolean {
    const now = this.now();
    this.#sweep(now);
    const b = this.#buckets.get(key);
    const tokens = b
      ? Math.min(this.rule.burst, b.tokens + ((now - b.at) / 1000) * this.rule.perSecond)
      : this.rule.burst;
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return false;
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    return true;
  }

  #sweep(now: number) {
    const fullAfterMs = (this.rule.burst / this.rule.perSecond) * 1000;
    if (now - this.#lastSweep < fullAfterMs) return;
    this.#lastSweep = now;
    for (const [key, b] of this.#buckets) if (now - b.at >= fullAfterMs) this.#buckets.delete(key);
  }
}
