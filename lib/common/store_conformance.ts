// The storage port's conformance suite: every behaviour of `Store` (lib/common/store.ts) that the
// store modules rely on, as Deno tests. An adapter passes by calling `storeConformance(name, open)`
// from its test file; lib/common/store_test.ts runs it against Deno KV in memory and in a sqlite file.

import assert from "node:assert/strict";
import { type Store, STORE_LIMITS, type StoreKey } from "./store.ts";

/** How long a condition that should hold "soon" (expiry, delayed delivery, a watch) may take on a busy machine. */
const EVENTUALLY_MS = 10_000;

/** Polls `condition` every `everyMs` until it holds, failing with `what` after `boundMs`. */
async function eventually(
  what: string,
  condition: () => Promise<boolean> | boolean,
  boundMs = EVENTUALLY_MS,
  everyMs = 20,
): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${boundMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A promise with its resolve, for events delivered by callbacks. */
function signal<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects after EVENTUALLY_MS with `what`, so a missing event fails the test instead of hanging it. */
async function within<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${EVENTUALLY_MS} ms: ${what}`)), EVENTUALLY_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function keysOf(iter: AsyncIterable<{ key: StoreKey }>): Promise<StoreKey[]> {
  const out: StoreKey[] = [];
  for await (const e of iter) out.push(e.key);
  return out;
}

export interface ConformanceOptions {
  /**
   * How long after its expiry an expired value may still be read (Deno KV sweeps expired keys about
   * once a minute, so its default is STORE_LIMITS.expirySweepMs plus slack for a busy machine).
   */
  expiredGoneWithinMs?: number;
}

/** Registers the conformance tests for one adapter; `open` returns a fresh, empty store per test. */
export function storeConformance(name: string, open: () => Promise<Store>, options: ConformanceOptions = {}): void {
  const expiredGoneWithinMs = options.expiredGoneWithinMs ?? STORE_LIMITS.expirySweepMs + EVENTUALLY_MS;
  /** `close` ends the store once (a queue test closes it to see listenQueue end; closing twice throws). */
  function test(title: string, fn: (store: Store, close: () => void) => Promise<void>) {
    Deno.test(`${name}: ${title}`, async () => {
      const store = await open();
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        store.close();
      };
      try {
        await fn(store, close);
      } finally {
        close();
      }
    });
  }

  test("get and getMany: value and versionstamp when present, both null when absent", async (s) => {
    const written = await s.set(["a", 1], { n: 1 });
    assert.equal(written.ok, true);
    assert.equal(typeof written.versionstamp, "string");
    const present = await s.get<{ n: number }>(["a", 1]);
    assert.deepEqual(present.key, ["a", 1]);
    assert.deepEqual(present.value, { n: 1 });
    assert.equal(present.versionstamp, written.versionstamp);
    const absent = await s.get(["a", 2]);
    assert.deepEqual(absent, { key: ["a", 2], value: null, versionstamp: null });

    const again = await s.set(["a", 1], { n: 2 });
    assert.ok(again.versionstamp > written.versionstamp, "a later write has a larger versionstamp");

    await s.set(["b"], "bee");
    const many = await s.getMany<[{ n: number }, null, string]>([["a", 1], ["a", 2], ["b"]]);
    assert.deepEqual(many.map((e) => e.key), [["a", 1], ["a", 2], ["b"]], "answers in the order asked");
    assert.deepEqual(many.map((e) => e.value), [{ n: 2 }, null, "bee"]);
    assert.equal(many[0].versionstamp, again.versionstamp);
    assert.equal(many[1].versionstamp, null);

    await s.delete(["b"]);
    assert.equal((await s.get(["b"])).versionstamp, null, "a deleted key reads as absent");
    assert.equal(
      (await s.getMany(Array.from({ length: STORE_LIMITS.getManyKeys }, (_, i) => ["a", i]))).length,
      STORE_LIMITS.getManyKeys,
    );
  });

  test("set with expireIn: readable until the expiry, never before it gone, gone within the sweep bound", async (s) => {
    const expireIn = 300;
    const setAt = Date.now();
    await s.set(["short"], "soon gone", { expireIn });
    await s.set(["long"], "stays", { expireIn: 60 * 60 * 1000 });
    await s.atomic().set(["atomic_short"], "also gone", { expireIn }).commit();
    const first = await s.get(["short"]);
    // Only meaningful if the read came back before the expiry (a loaded machine may be slower).
    if (Date.now() - setAt < expireIn) assert.equal(first.value, "soon gone");
    let goneAt = 0;
    await eventually(
      "the expired values are no longer read",
      async () => {
        const [a, b] = await s.getMany([["short"], ["atomic_short"]]);
        if (a.value === null && b.value === null) goneAt ||= Date.now();
        else assert.ok(a.value === null || b.value !== null, "values set with one expiry expire together or in order");
        return goneAt > 0;
      },
      expiredGoneWithinMs + expireIn,
      250,
    );
    assert.ok(goneAt - setAt >= expireIn, `gone after ${goneAt - setAt} ms, before its expiry of ${expireIn} ms`);
    assert.deepEqual(await keysOf(s.list({ prefix: [] })), [["long"]], "lists skip expired entries too");
    assert.equal((await s.get(["long"])).value, "stays");
  });

  test("list: prefix, start/end, limit and reverse", async (s) => {
    for (let i = 0; i < 6; i++) await s.set(["items", i], i);
    await s.set(["items"], "the prefix itself is not listed under it");
    await s.set(["itemsx", 0], "a neighbour whose first part merely starts alike");
    await s.set(["other", 0], 0);

    assert.deepEqual(await keysOf(s.list({ prefix: ["items"] })), [0, 1, 2, 3, 4, 5].map((i) => ["items", i]));
    assert.deepEqual(
      await keysOf(s.list({ prefix: ["items"] }, { reverse: true })),
      [
        5,
        4,
        3,
        2,
        1,
        0,
      ].map((i) => ["items", i]),
    );
    assert.deepEqual(await keysOf(s.list({ prefix: ["items"] }, { limit: 2 })), [["items", 0], ["items", 1]]);
    assert.deepEqual(await keysOf(s.list({ prefix: ["items"] }, { limit: 2, reverse: true })), [
      ["items", 5],
      ["items", 4],
    ]);
    assert.deepEqual(await keysOf(s.list({ prefix: ["items"], start: ["items", 3] })), [
      ["items", 3],
      ["items", 4],
      ["items", 5],
    ], "start is inclusive");
    assert.deepEqual(await keysOf(s.list({ prefix: ["items"], end: ["items", 2] })), [
      ["items", 0],
      ["items", 1],
    ], "end is exclusive");
    assert.deepEqual(await keysOf(s.list({ start: ["items", 1], end: ["items", 3] })), [
      ["items", 1],
      ["items", 2],
    ]);
    assert.deepEqual(await keysOf(s.list({ start: ["items", 1], end: ["items", 4] }, { reverse: true, limit: 2 })), [
      ["items", 3],
      ["items", 2],
    ]);
    const values: unknown[] = [];
    for await (const e of s.list({ prefix: ["items"] }, { limit: 1 })) {
      values.push(e.value);
      assert.equal(typeof e.versionstamp, "string");
    }
    assert.deepEqual(values, [0]);
    assert.deepEqual(await keysOf(s.list({ prefix: ["none"] })), []);
  });

  test("list cursor: page 2 continues exactly where page 1 stopped, forwards and in reverse", async (s) => {
    const n = 23;
    for (let i = 0; i < n; i++) await s.set(["page", i], i);
    for (const reverse of [false, true]) {
      const seen: StoreKey[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const iter = s.list({ prefix: ["page"] }, { limit: 5, reverse, cursor });
        const page = await keysOf(iter);
        seen.push(...page);
        if (page.length < 5) break;
        cursor = iter.cursor;
        assert.ok(cursor, "a full page leaves a cursor");
      }
      const expected = Array.from({ length: n }, (_, i) => ["page", reverse ? n - 1 - i : i]);
      assert.deepEqual(seen, expected, `every key once, in order (reverse: ${reverse})`);
    }
    // A page that stops mid-range, then a write before the cursor: page 2 is unaffected by it.
    const first = s.list({ prefix: ["page"] }, { limit: 3 });
    await keysOf(first);
    await s.set(["page", 1.5], "written before the cursor");
    assert.deepEqual(await keysOf(s.list({ prefix: ["page"] }, { limit: 2, cursor: first.cursor })), [
      ["page", 3],
      ["page", 4],
    ]);
    // With start/end too.
    const ranged = s.list({ start: ["page", 10], end: ["page", 20] }, { limit: 4 });
    assert.deepEqual(await keysOf(ranged), [10, 11, 12, 13].map((i) => ["page", i]));
    assert.deepEqual(
      await keysOf(s.list({ start: ["page", 10], end: ["page", 20] }, { cursor: ranged.cursor })),
      [14, 15, 16, 17, 18, 19].map((i) => ["page", i]),
    );
  });

  test("list cursor: a malformed one is rejected, one from another selector stays inside the selector", async (s) => {
    for (let i = 0; i < 5; i++) {
      await s.set(["a", i], i);
      await s.set(["b", i], i);
    }
    await assert.rejects(() => keysOf(s.list({ prefix: ["a"] }, { cursor: "not a cursor!" })));
    const fromA = s.list({ prefix: ["a"] }, { limit: 2 });
    await keysOf(fromA);
    let onB: StoreKey[] = [];
    try {
      onB = await keysOf(s.list({ prefix: ["b"] }, { cursor: fromA.cursor }));
    } catch {
      return; // rejected: the stricter answer
    }
    for (const key of onB) assert.equal(key[0], "b", `a foreign cursor yielded ${JSON.stringify(key)}`);
  });

  test("key order across part types: Uint8Array < string < bigint < number < boolean", async (s) => {
    const parts: Deno.KvKeyPart[] = [
      true,
      false,
      10n,
      -1n,
      2.5,
      -3,
      0,
      "b",
      "a",
      "",
      "ab",
      new Uint8Array([2]),
      new Uint8Array([1, 0]),
      new Uint8Array([]),
    ];
    for (const [i, part] of parts.entries()) await s.set(["order", part], i);
    await s.set(["order"], "shorter key first");
    await s.set(["order", "a", 0], "longer key after its prefix");
    const expected: StoreKey[] = [
      ["order", new Uint8Array([])],
      ["order", new Uint8Array([1, 0])],
      ["order", new Uint8Array([2])],
      ["order", ""],
      ["order", "a"],
      ["order", "a", 0],
      ["order", "ab"],
      ["order", "b"],
      ["order", -1n],
      ["order", 10n],
      ["order", -3],
      ["order", 0],
      ["order", 2.5],
      ["order", false],
      ["order", true],
    ];
    assert.deepEqual(await keysOf(s.list({ prefix: ["order"] })), expected);
    assert.deepEqual(await keysOf(s.list({ prefix: ["order"] }, { reverse: true })), expected.toReversed());
    assert.deepEqual(await keysOf(s.list({ start: ["order"], end: ["order", "b"] }, { limit: 1 })), [["order"]]);
    const back = await s.get(["order", 10n]);
    assert.equal(typeof back.key[1], "bigint", "a bigint part reads back as a bigint");
  });

  test("atomic: a failed check (absent expected, or a stale versionstamp) writes nothing", async (s) => {
    const v1 = await s.set(["acct"], "v1");
    const absentExpected = await s.atomic().check({ key: ["acct"], versionstamp: null })
      .set(["acct"], "overwritten").set(["side"], "effect").sum(["count"], 1n).enqueue("never").commit();
    assert.equal(absentExpected.ok, false);

    const v2 = await s.set(["acct"], "v2");
    const stale = await s.atomic().check({ key: ["acct"], versionstamp: v1.versionstamp })
      .set(["acct"], "overwritten").delete(["acct"]).set(["side"], "effect").commit();
    assert.equal(stale.ok, false);

    const checkedAbsent = await s.atomic().check({ key: ["nothing"], versionstamp: "00000000000000010000" })
      .set(["side"], "effect").commit();
    assert.equal(checkedAbsent.ok, false, "a versionstamp check on an absent key fails");

    const [acct, side, count] = await s.getMany([["acct"], ["side"], ["count"]]);
    assert.equal(acct.value, "v2");
    assert.equal(acct.versionstamp, v2.versionstamp);
    assert.equal(side.versionstamp, null);
    assert.equal(count.versionstamp, null);

    const fresh = await s.atomic().check({ key: ["acct"], versionstamp: v2.versionstamp })
      .check({ key: ["new"], versionstamp: null }).set(["new"], 1).commit();
    assert.equal(fresh.ok, true, "current checks pass");
    if (fresh.ok) assert.equal((await s.get(["new"])).versionstamp, fresh.versionstamp);
  });

  test("atomic: set, delete and sum in one commit share one versionstamp", async (s) => {
    await s.set(["gone"], 1);
    await s.set(["counter"], new Deno.KvU64(5n));
    const res = await s.atomic().set(["x"], "x").set(["y"], "y").delete(["gone"]).sum(["counter"], 3n)
      .sum(["fresh_counter"], 7n).commit();
    assert.equal(res.ok, true);
    if (!res.ok) return;
    const [x, y, gone, counter, fresh] = await s.getMany<[string, string, number, Deno.KvU64, Deno.KvU64]>([
      ["x"],
      ["y"],
      ["gone"],
      ["counter"],
      ["fresh_counter"],
    ]);
    assert.equal(x.value, "x");
    assert.equal(y.value, "y");
    assert.equal(gone.versionstamp, null);
    assert.equal(counter.value?.value, 8n);
    assert.equal(fresh.value?.value, 7n, "an absent counter starts at zero");
    for (const e of [x, y, counter, fresh]) assert.equal(e.versionstamp, res.versionstamp);

    // Mutations apply in order: the later one on a key wins.
    await s.atomic().set(["order"], "first").delete(["order"]).set(["order"], "last").commit();
    assert.equal((await s.get(["order"])).value, "last");
    await s.set(["not_a_counter"], "text");
    await assert.rejects(() => s.atomic().sum(["not_a_counter"], 1n).commit(), "sum on a non-counter throws");
  });

  test("atomic sum wraps modulo 2^64: adding 2^64-1 subtracts one", async (s) => {
    const minusOne = 0xffff_ffff_ffff_ffffn;
    await s.atomic().sum(["n"], 5n).commit();
    await s.atomic().sum(["n"], minusOne).commit();
    assert.equal((await s.get<Deno.KvU64>(["n"])).value?.value, 4n);
    await s.set(["max"], new Deno.KvU64(minusOne));
    await s.atomic().sum(["max"], 2n).commit();
    assert.equal((await s.get<Deno.KvU64>(["max"])).value?.value, 1n, "overflow wraps");
    await s.atomic().sum(["zero"], minusOne).commit();
    assert.equal((await s.get<Deno.KvU64>(["zero"])).value?.value, minusOne, "0 - 1 wraps to 2^64-1");
  });

  test("queues: enqueue alone and in a commit, each delivered at least once to listenQueue", async (s, close) => {
    const got = new Set<string>();
    const all = signal<void>();
    const listening = s.listenQueue((value) => {
      got.add((value as { id: string }).id);
      if (got.has("plain") && got.has("atomic")) all.resolve();
    });
    await s.enqueue({ id: "plain" });
    const res = await s.atomic().check({ key: ["k"], versionstamp: null }).set(["k"], 1).enqueue({ id: "atomic" })
      .commit();
    assert.equal(res.ok, true);
    await within("both messages delivered", all.promise);
    close();
    await within("listenQueue resolves when the store closes", listening);
  });

  test(
    "queues: a delayed message arrives no earlier than its delay; a failing handler gets it again",
    async (s, close) => {
      const delay = 500;
      const deliveries: { id: string; at: number }[] = [];
      const done = signal<void>();
      let enqueuedAt = 0;
      const listening = s.listenQueue((value) => {
        const id = (value as { id: string }).id;
        deliveries.push({ id, at: Date.now() });
        if (id === "flaky" && deliveries.filter((d) => d.id === "flaky").length === 1) {
          throw new Error("first delivery fails on purpose");
        }
        if (deliveries.some((d) => d.id === "delayed") && deliveries.filter((d) => d.id === "flaky").length >= 2) {
          done.resolve();
        }
      });
      enqueuedAt = Date.now();
      await s.enqueue({ id: "delayed" }, { delay });
      await s.enqueue({ id: "flaky" });
      await within("the delayed message and the redelivery", done.promise);
      const delayed = deliveries.find((d) => d.id === "delayed")!;
      assert.ok(delayed.at - enqueuedAt >= delay, `delivered after ${delayed.at - enqueuedAt} ms, asked ${delay}`);
      close();
      await listening;
    },
  );

  test("watch: emits the current entries, then again on a change", async (s) => {
    await s.set(["w", 1], "one");
    const stream = s.watch<[string, string]>([["w", 1], ["w", 2]]);
    const reader = stream.getReader();
    try {
      const first = await within("the first emission", reader.read());
      assert.equal(first.done, false);
      assert.deepEqual(first.value!.map((e) => e.value), ["one", null]);
      const written = await s.set(["w", 2], "two");
      let latest = first.value!;
      while (latest[1].versionstamp !== written.versionstamp) {
        const next = await within("an emission after the write", reader.read());
        assert.equal(next.done, false);
        latest = next.value!;
      }
      assert.deepEqual(latest.map((e) => e.value), ["one", "two"]);
    } finally {
      await reader.cancel();
    }
  });

  test("limits: values up to 64 KiB and commits within the per-commit limits are accepted, beyond refused", async (s) => {
    // A Uint8Array serializes with a few bytes of header: the largest accepted is just under the limit.
    await s.set(["v"], new Uint8Array(STORE_LIMITS.valueBytes - 16));
    assert.equal((await s.get<Uint8Array>(["v"])).value?.length, STORE_LIMITS.valueBytes - 16);
    await assert.rejects(() => s.set(["v"], new Uint8Array(STORE_LIMITS.valueBytes + 1)));
    await assert.rejects(() => s.set(["v"], "x".repeat(STORE_LIMITS.valueBytes + 1)));
    await assert.rejects(() => s.set(["k", "x".repeat(STORE_LIMITS.keyBytes)], 1));
    await assert.rejects(() => s.getMany(Array.from({ length: STORE_LIMITS.getManyKeys + 1 }, (_, i) => ["k", i])));

    const checks = (n: number) => {
      const op = s.atomic();
      for (let i = 0; i < n; i++) op.check({ key: ["c", i], versionstamp: null });
      return op.set(["checked"], n).commit();
    };
    assert.equal((await checks(STORE_LIMITS.checksPerCommit)).ok, true);
    await assert.rejects(() => checks(STORE_LIMITS.checksPerCommit + 1));

    const mutations = (n: number) => {
      const op = s.atomic();
      for (let i = 0; i < n; i++) op.set(["m", i], i);
      return op.commit();
    };
    assert.equal((await mutations(STORE_LIMITS.mutationsPerCommit)).ok, true);
    await assert.rejects(() => mutations(STORE_LIMITS.mutationsPerCommit + 1));
    assert.equal(
      (await s.get(["m", STORE_LIMITS.mutationsPerCommit])).versionstamp,
      null,
      "a refused commit wrote nothing",
    );

    const bytes = (n: number, size: number) => {
      const op = s.atomic();
      for (let i = 0; i < n; i++) op.set(["b", i], new Uint8Array(size));
      return op.commit();
    };
    const size = 60_000;
    const fit = Math.floor(STORE_LIMITS.commitBytes / (size + 100));
    assert.equal((await bytes(fit, size)).ok, true);
    await assert.rejects(() => bytes(fit + 2, size));
  });
}
