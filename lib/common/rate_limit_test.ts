// reserveAttempt under concurrency on a real KV (in memory and in a sqlite file): no more than the
// rule's max attempts are let through however many arrive at once, and release gives one back.

import assert from "node:assert/strict";
import { rateLimitKey, reserveAttempt } from "./rate_limit.ts";
import type { RateLimitRule } from "./rate_limit.ts";
import { TooManyRequests } from "./errors.ts";
import type { Store } from "./store.ts";

const RULE: RateLimitRule = { max: 10, windowMs: 60_000 };

async function count(kv: Store, scope: string, subject: string): Promise<number> {
  return ((await kv.get<{ count: number }>(rateLimitKey(scope, subject))).value?.count) ?? 0;
}

/** Starts `n` reservations at once; returns how many got through and how many were refused. */
async function burst(kv: Store, n: number, subjects: string[], rule = RULE) {
  const results = await Promise.allSettled(
    Array.from({ length: n }, () => reserveAttempt(kv, "t", subjects, rule)),
  );
  const passed = results.filter((r) => r.status === "fulfilled").length;
  const refused = results.filter((r) => r.status === "rejected" && r.reason instanceof TooManyRequests).length;
  const other = results.filter((r) => r.status === "rejected" && !(r.reason instanceof TooManyRequests));
  assert.equal(other.length, 0, `unexpected errors: ${other.map((r) => String((r as PromiseRejectedResult).reason))}`);
  return { passed, refused, results };
}

for (const where of ["memory", "file"] as const) {
  const open = async () => {
    if (where === "memory") return { kv: await Deno.openKv(":memory:"), done: () => Promise.resolve() };
    const dir = await Deno.makeTempDir();
    const kv = await Deno.openKv(`${dir}/kv.sqlite`);
    return { kv, done: () => Deno.remove(dir, { recursive: true }) };
  };

  Deno.test(`reserveAttempt (${where}): 200 at once for one subject, exactly max get through`, async () => {
    const { kv, done } = await open();
    try {
      const { passed, refused } = await burst(kv, 200, ["email:a"]);
      assert.equal(passed, 10);
      assert.equal(refused, 190);
      assert.equal(await count(kv, "t", "email:a"), 10);
    } finally {
      kv.close();
      await done();
    }
  });

  Deno.test(`reserveAttempt (${where}): two subjects; the fuller one limits both, counted together`, async () => {
    const { kv, done } = await open();
    try {
      // The address already used 7 of its attempts on other accounts.
      for (let i = 0; i < 7; i++) await reserveAttempt(kv, "t", [`email:other${i}`, "ip:1"], RULE);
      const { passed } = await burst(kv, 50, ["email:a", "ip:1"]);
      assert.equal(passed, 3, "only the address's 3 remaining attempts go through");
      assert.equal(await count(kv, "t", "ip:1"), 10);
      assert.equal(await count(kv, "t", "email:a"), 3, "refused attempts count against nobody");
    } finally {
      kv.close();
      await done();
    }
  });
}

Deno.test("release gives the attempt back; release(clear) deletes that subject's counter; twice is once", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const a = await reserveAttempt(kv, "t", ["email:a", "ip:1"], RULE);
    const b = await reserveAttempt(kv, "t", ["email:a", "ip:1"], RULE);
    assert.equal(await count(kv, "t", "ip:1"), 2);
    await a.release();
    await a.release();
    assert.equal(await count(kv, "t", "ip:1"), 1, "one attempt given back, once");
    assert.equal(await count(kv, "t", "email:a"), 1);
    await b.release(["email:a"]);
    assert.equal(await count(kv, "t", "email:a"), 0, "the account's counter is cleared");
    assert.equal(await count(kv, "t", "ip:1"), 0, "the address gets this attempt back");
  } finally {
    kv.close();
  }
});

Deno.test("released attempts free their places under concurrency: 40 successes and 40 failures at once", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const rule: RateLimitRule = { max: 50, windowMs: 60_000 };
    const settled = await Promise.allSettled(Array.from({ length: 80 }, async (_, i) => {
      const r = await reserveAttempt(kv, "t", ["ip:1"], rule);
      if (i % 2 === 0) await r.release();
    }));
    const passed = settled.filter((s) => s.status === "fulfilled").length;
    const keptFailures = settled.filter((s, i) => s.status === "fulfilled" && i % 2 === 1).length;
    // Successes give their places back, so more than the rule's 50 pass in all, while the counter
    // ends holding exactly the failures that got through.
    assert.ok(passed > 50, `passed ${passed}`);
    assert.equal(await count(kv, "t", "ip:1"), keptFailures);
  } finally {
    kv.close();
  }
});

Deno.test("300 reservations and releases at once on one hot counter all succeed (no lost-commit give-up)", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const wide: RateLimitRule = { max: 1000, windowMs: 60_000 };
    const results = await Promise.allSettled(
      Array.from({ length: 300 }, async () => {
        const r = await reserveAttempt(kv, "t", ["ip:school"], wide);
        await r.release();
      }),
    );
    const failed = results.filter((r) => r.status === "rejected");
    assert.equal(failed.length, 0, String((failed[0] as PromiseRejectedResult | undefined)?.reason));
    assert.equal(await count(kv, "t", "ip:school"), 0);
  } finally {
    kv.close();
  }
});

Deno.test("a subject with its own rule is limited by it, the others by the call's rule", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const loose: RateLimitRule = { max: 30, windowMs: 60_000 };
    // 12 failures for 12 accounts from one address: each account is far from its limit of 10, and
    // the address (30) is not reached either.
    for (let i = 0; i < 12; i++) await reserveAttempt(kv, "t", [`email:${i}`, { subject: "ip:x", rule: loose }], RULE);
    assert.equal(await count(kv, "t", "ip:x"), 12);
    const { passed } = await burst(kv, 40, ["email:new"], RULE);
    assert.equal(passed, 10);
  } finally {
    kv.close();
  }
});

Deno.test("a full counter answers TooManyRequests with the time left; a new window starts afresh", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const rule: RateLimitRule = { max: 2, windowMs: 300 };
    await reserveAttempt(kv, "t", ["s"], rule);
    await reserveAttempt(kv, "t", ["s"], rule);
    const err = await reserveAttempt(kv, "t", ["s"], rule).then(() => null, (e) => e);
    assert.ok(err instanceof TooManyRequests);
    assert.ok(err.retryAfterSeconds > 0 && err.retryAfterSeconds <= 0.3);
    // Wait for the window's end as the counter itself states it, not for a guessed time.
    const resetAt = (await kv.get<{ resetAt: number }>(rateLimitKey("t", "s"))).value!.resetAt;
    await new Promise((r) => setTimeout(r, Math.max(0, resetAt - Date.now()) + 1));
    await reserveAttempt(kv, "t", ["s"], rule);
    assert.equal(await count(kv, "t", "s"), 1);
  } finally {
    kv.close();
  }
});
