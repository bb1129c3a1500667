// Lost KV races that used to be ignored: concurrent revokes of one API token, concurrent updates
// of one session, concurrent failures against one rate-limit counter. Real KV (in memory), real
// concurrency (the calls interleave at their awaits).

import assert from "node:assert/strict";
import { createApiToken, findApiToken, revokeApiToken } from "../lib/accounts/api_tokens.ts";
import { createSession, getSession, updateSession } from "../lib/accounts/sessions.ts";
import { KvConflict } from "../lib/common/kv.ts";
import { rateLimitKey, reserveAttempt } from "../lib/common/rate_limit.ts";

Deno.test("two concurrent revokes of one API token: exactly one says it revoked it", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    for (let round = 0; round < 5; round++) {
      const { token, secret } = await createApiToken(kv, "u1", `t${round}`);
      const results = await Promise.all([revokeApiToken(kv, "u1", token.id), revokeApiToken(kv, "u1", token.id)]);
      assert.deepEqual(results.toSorted(), [false, true], `round ${round}: ${results}`);
      assert.equal(await findApiToken(kv, secret), null, "the token is gone");
    }
  } finally {
    kv.close();
  }
});

Deno.test("concurrent updates of one session both land (a lost commit is re-applied, not dropped)", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const { token } = await createSession(kv, "u1", "full", "Firefox");
    const tokenHash = (await getSession(kv, token))!.tokenHash;
    const done = await Promise.all([
      updateSession(kv, tokenHash, { pendingTotpSecret: "JBSWY3DPEHPK3PXP" }),
      updateSession(kv, tokenHash, { userAgent: "Firefox on Linux" }),
    ]);
    assert.deepEqual(done, [true, true]);
    const s = (await getSession(kv, token))!.session;
    assert.equal(s.pendingTotpSecret, "JBSWY3DPEHPK3PXP");
    assert.equal(s.userAgent, "Firefox on Linux");
    assert.equal(await updateSession(kv, "no-such-session", { userAgent: "x" }), false, "a gone session says so");
  } finally {
    kv.close();
  }
});

Deno.test("many concurrent sign-in failures: each is counted or reported, none silently dropped", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const n = 25;
    const results = await Promise.allSettled(
      Array.from({ length: n }, () => reserveAttempt(kv, "signin", ["ann"], { max: 1000, windowMs: 60_000 })),
    );
    const counted = results.filter((r) => r.status === "fulfilled").length;
    for (const r of results) {
      if (r.status === "rejected") assert.ok(r.reason instanceof KvConflict, String(r.reason));
    }
    const stored = (await kv.get<{ count: number }>(rateLimitKey("signin", "ann"))).value!;
    assert.equal(stored.count, counted, `${counted} calls returned normally and the counter says ${stored.count}`);
  } finally {
    kv.close();
  }
});
