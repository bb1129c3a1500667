// The dial-in passcode guard's rules: wrong passcodes are counted per SOURCE ADDRESS (the SIP
// packet's source IP as the gateway saw it, never From or Via, which the caller writes) with growing
// delays and a hard cap, and per MEETING, where many failures only slow down sources that have
// failed before: the right passcode from a clean source is never refused. Pure decisions on the
// records lib/telephony/store.ts reads; every number is injectable (tests, `dialInRulesFromEnv`).

/** The guard's numbers. Defaults: 3 free tries, then 2 s, 4 s, 8 s … (≤ 60 s) between tries, 20 per 15 min. */
export interface DialInRules {
  /** Wrong passcodes a source may make before each further try must wait. */
  freeFailures: number;
  /** The wait after the first failure beyond the free ones is 2 × this, then doubles. */
  delayBaseMs: number;
  /** The longest wait between two tries from one source. */
  delayMaxMs: number;
  /** Wrong passcodes per source per window; beyond, every try is refused until the window ends. */
  sourceMax: number;
  /** Wrong passcodes per meeting per window after which sources with any failure get no free tries. */
  meetingSlowdownAfter: number;
  /** The counting window (from a subject's first failure). */
  windowMs: number;
}

export const DIAL_IN_RULES: DialInRules = {
  freeFailures: 3,
  delayBaseMs: 1000,
  delayMaxMs: 60_000,
  sourceMax: 20,
  meetingSlowdownAfter: 20,
  windowMs: 15 * 60 * 1000,
};

/** Environment names of the rules (README "Dial-in" rows); unset ones keep DIAL_IN_RULES. */
const ENV: Record<keyof DialInRules, string> = {
  freeFailures: "DIAL_IN_FREE_FAILURES",
  delayBaseMs: "DIAL_IN_DELAY_BASE_MS",
  delayMaxMs: "DIAL_IN_DELAY_MAX_MS",
  sourceMax: "DIAL_IN_SOURCE_MAX_FAILURES",
  meetingSlowdownAfter: "DIAL_IN_MEETING_SLOWDOWN_AFTER",
  windowMs: "DIAL_IN_WINDOW_MS",
};

/** The rules from the environment; throws naming the variable when a value is not a whole number ≥ 0 (≥ 1 for caps). */
export function dialInRulesFromEnv(env: Record<string, string | undefined>): DialInRules {
  const rules = { ...DIAL_IN_RULES };
  for (const [field, name] of Object.entries(ENV) as [keyof DialInRules, string][]) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    const n = Number(raw);
    const min = field === "freeFailures" || field === "delayBaseMs" ? 0 : 1;
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) {
      throw new Error(`${name} must be a whole number ≥ ${min}, got ${JSON.stringify(raw)}`);
    }
    rules[field] = n;
  }
  return rules;
}

/** Wrong passcodes from one source in the current window; `lastAt` is when its last try was evaluated. */
export interface SourceFailures {
  failures: number;
  windowEndsAt: number;
  lastAt: number;
}

/** Wrong passcodes for one meeting in the current window. */
export interface MeetingFailures {
  failures: number;
  windowEndsAt: number;
}

/** What to do with a try: evaluate it (after reserving it), make the source wait, or refuse it. */
export type Verdict =
  | { kind: "evaluate" }
  | { kind: "wait"; retryAfterMs: number }
  | { kind: "limited"; retryAfterMs: number };

/** A counter still inside its window, else null. */
export function live<T extends { windowEndsAt: number }>(rec: T | null | undefined, now: number): T | null {
  return rec && rec.windowEndsAt > now ? rec : null;
}

/** True when the meeting has seen enough wrong passcodes to slow down sources that failed. */
export function meetingSlowed(meeting: MeetingFailures | null, rules: DialInRules, now: number): boolean {
  const m = live(meeting, now);
  return !!m && m.failures >= rules.meetingSlowdownAfter;
}

/** The wait a source with `failures` owes between tries (0 while it has free tries). */
export function delayFor(failures: number, free: number, rules: DialInRules): number {
  if (failures === 0 || failures < free) return 0;
  return Math.min(rules.delayBaseMs * 2 ** Math.min(failures - free + 1, 30), rules.delayMaxMs);
}

/**
 * The verdict on a try from a source: refused while it has used up `sourceMax`; told to wait until
 * its last evaluated try plus its delay; else evaluated. A source without failures is always
 * evaluated, whatever the meeting's count: that is what keeps the real caller from being locked out.
 */
export function verdict(
  source: SourceFailures | null,
  meeting: MeetingFailures | null,
  rules: DialInRules,
  now: number,
): Verdict {
  const s = live(source, now);
  if (!s) return { kind: "evaluate" };
  if (s.failures >= rules.sourceMax) return { kind: "limited", retryAfterMs: s.windowEndsAt - now };
  const free = meetingSlowed(meeting, rules, now) ? 0 : rules.freeFailures;
  const due = s.lastAt + delayFor(s.failures, free, rules);
  return now < due ? { kind: "wait", retryAfterMs: due - now } : { kind: "evaluate" };
}

/** The source's record with this try reserved as a failure (given back when the passcode is right). */
export function reserved(source: SourceFailures | null, rules: DialInRules, now: number): SourceFailures {
  const s = live(source, now);
  return s
    ? { failures: s.failures + 1, windowEndsAt: s.windowEndsAt, lastAt: now }
    : { failures: 1, windowEndsAt: now + rules.windowMs, lastAt: now };
}

/** The meeting's record with one more wrong passcode. */
export function counted(meeting: MeetingFailures | null, rules: DialInRules, now: number): MeetingFailures {
  const m = live(meeting, now);
  return m
    ? { failures: m.failures + 1, windowEndsAt: m.windowEndsAt }
    : { failures: 1, windowEndsAt: now + rules.windowMs };
}
