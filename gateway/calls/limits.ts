// Caps on dial-in callers who are not let in yet (being resolved or in the IVR): per source address
// and overall, and how long the IVR waits for a right passcode. Answers beyond a cap follow RFC 3261:
// per source 486 Busy Here (§21.4.24: this callee will not take more calls now; it is about this
// request only, so a trunk or proxy does not take the whole gateway out of its routing), overall 503
// Service Unavailable (§21.5.4: the server is overloaded; a proxy may try another gateway node),
// both with Retry-After (§20.33). Every number comes from the environment (README) or tests.

/** The caps' numbers. */
export interface IvrLimits {
  /** Callers not let in yet from one source IP; the next INVITE from it gets 486. */
  perSource: number;
  /** Callers not let in yet overall; the next INVITE gets 503. */
  total: number;
  /** The IVR hangs up (BYE) a caller who has not entered a right passcode in this long. */
  timeoutMs: number;
  /** Seconds in the Retry-After of those answers. */
  retryAfterSeconds: number;
}

export const IVR_LIMITS: IvrLimits = { perSource: 3, total: 50, timeoutMs: 60_000, retryAfterSeconds: 30 };

const ENV: Record<keyof IvrLimits, [string, number]> = {
  perSource: ["SIP_IVR_MAX_PER_SOURCE", 1],
  total: ["SIP_IVR_MAX_CALLS", 1],
  timeoutMs: ["SIP_IVR_TIMEOUT_MS", 100],
  retryAfterSeconds: ["SIP_IVR_RETRY_AFTER_SECONDS", 0],
};

/** The caps from the environment; throws naming the variable when a value is not a whole number in range. */
export function ivrLimitsFromEnv(env: Record<string, string | undefined>): IvrLimits {
  const limits = { ...IVR_LIMITS };
  for (const [field, [name, min]] of Object.entries(ENV) as [keyof IvrLimits, [string, number]][]) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
      throw new Error(`${name} must be a whole number ≥ ${min}, got ${JSON.stringify(raw)}`);
    }
    limits[field] = n;
  }
  return limits;
}

/** Which cap a new call from `source` would break, given the callers not let in yet; null: none. */
export function capBroken(
  waiting: Iterable<string>,
  source: string,
  limits: IvrLimits,
): { status: 486 | 503; why: string } | null {
  let total = 0, fromSource = 0;
  for (const s of waiting) {
    total++;
    if (s === source) fromSource++;
  }
  if (fromSource >= limits.perSource) return { status: 486, why: "too many calls from this address not let in yet" };
  if (total >= limits.total) return { status: 503, why: "too many calls not let in yet" };
  return null;
}
