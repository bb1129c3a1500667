// The dial-in guard's rules on their own (pure) and through resolveDialIn on a real in-memory KV
// with an injected clock, so the waits are checked without waiting.

import assert from "node:assert/strict";
import { setQuiet } from "../common/log.ts";
import { createMeeting } from "../meetings/store.ts";
import { resolveDialIn } from "./phone.ts";
import { delayFor, DIAL_IN_RULES, dialInRulesFromEnv, type SourceFailures, verdict } from "./dial_in_guard.ts";

setQuiet(true);

Deno.test("waits double after the free tries, up to the cap; a clean source never waits", () => {
  const r = DIAL_IN_RULES;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((f) => delayFor(f, r.freeFailures, r)), [
    0,
    0,
    0,
    2000,
    4000,
    8000,
    16_000,
    32_000,
    60_000,
    60_000,
  ]);
  const now = 1_000_000;
  const src = (failures: number, lastAt = now): SourceFailures => ({ failures, windowEndsAt: now + 60_000, lastAt });
  assert.deepEqual(verdict(null, null, r, now), { kind: "evaluate" });
  assert.deepEqual(verdict(src(2), null, r, now), { kind: "evaluate" });
  assert.deepEqual(verdict(src(3), null, r, now + 1500), { kind: "wait", retryAfterMs: 500 });
  assert.deepEqual(verdict(src(3), null, r, now + 2000), { kind: "evaluate" });
  assert.deepEqual(verdict(src(r.sourceMax), null, r, now), { kind: "limited", retryAfterMs: 60_000 });
  // A meeting under attack takes the free tries away from sources that failed, not from clean ones.
  const attacked = { failures: r.meetingSlowdownAfter, windowEndsAt: now + 60_000 };
  assert.deepEqual(verdict(src(1), attacked, r, now + 1000), { kind: "wait", retryAfterMs: 3000 });
  assert.deepEqual(verdict(null, attacked, r, now), { kind: "evaluate" });
  // A window that ended forgets everything.
  assert.deepEqual(verdict({ failures: 99, windowEndsAt: now, lastAt: now }, null, r, now), { kind: "evaluate" });
});

Deno.test("the rules from the environment, with the variable named when one is wrong", () => {
  assert.deepEqual(dialInRulesFromEnv({}), DIAL_IN_RULES);
  assert.equal(dialInRulesFromEnv({ DIAL_IN_DELAY_BASE_MS: "10" }).delayBaseMs, 10);
  assert.throws(() => dialInRulesFromEnv({ DIAL_IN_SOURCE_MAX_FAILURES: "0" }), /DIAL_IN_SOURCE_MAX_FAILURES/);
  assert.throws(() => dialInRulesFromEnv({ DIAL_IN_WINDOW_MS: "15m" }), /DIAL_IN_WINDOW_MS must be a whole number/);
});

Deno.test("resolve: a source waits, is evaluated once the wait is over, and is refused at its cap", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const m = await createMeeting(kv, { hostId: "host-1", title: "Guard", settings: {} });
    const wrong = m.passcode === "000000" ? "111111" : "000000";
    let now = Date.now();
    const opts = { rules: { ...DIAL_IN_RULES, sourceMax: 5 }, now: () => now };
    const r = (passcode: string, source = "192.0.2.1") =>
      resolveDialIn(kv, { meetingId: m.meetingId, passcode, source }, opts);
    for (let i = 0; i < 3; i++) assert.equal((await r(wrong)).status, 403);
    const wait = await r(m.passcode);
    assert.deepEqual(wait, { status: 429, body: { error: "slow-down", retryAfterMs: 2000 } });
    now += 2000;
    assert.equal((await r(wrong)).status, 403, "evaluated after the wait");
    now += 3999;
    assert.equal((await r(m.passcode)).body?.error, "slow-down");
    now += 1;
    // A right passcode once the wait is over gets in, and costs the source nothing.
    assert.equal((await r(m.passcode)).status, 200);
    assert.equal((await r(wrong)).status, 403);
    const capped = await r(m.passcode);
    assert.equal(capped.status, 429);
    assert.equal(capped.body?.error, "rate-limited");
    // Another source is untouched.
    assert.equal((await r(m.passcode, "192.0.2.2")).status, 200);
    // Without a passcode the caller is asked for one (nothing evaluated, nothing written).
    assert.deepEqual((await r("", "192.0.2.3")).body, { error: "bad-passcode", passcodeRequired: true });
  } finally {
    kv.close();
  }
});
