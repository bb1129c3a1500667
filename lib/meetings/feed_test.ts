import assert from "node:assert/strict";
import { appendEvent, eventsSince } from "./events.ts";
import type { MeetingEvent } from "./events.ts";
import { MeetingFeed } from "./feed.ts";

function collector() {
  const got: MeetingEvent[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    got,
    push(e: MeetingEvent) {
      got.push(e);
      for (const w of waiters.splice(0)) {
        if (got.length >= w.n) w.resolve();
        else waiters.push(w);
      }
    },
    /** Resolves once `n` messages arrived; rejects after a bound so a lost message fails the test. */
    until(n: number, ms = 10_000): Promise<void> {
      if (got.length >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${got.length} of ${n} messages arrived`)), ms);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
  };
}

Deno.test("concurrent appends get distinct gap-free ids", async () => {
  const kv = await Deno.openKv(":memory:");
  const events = await Promise.all(Array.from({ length: 40 }, (_, i) => appendEvent(kv, "1234567890", "t", { i })));
  assert.deepEqual(events.map((e) => e.id).sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i + 1));
  assert.equal((await eventsSince(kv, "1234567890", 35)).length, 5);
  kv.close();
});

Deno.test("a subscriber gets the backlog after its last id, then live messages, in order, once", async () => {
  const kv = await Deno.openKv(":memory:");
  const feed = new MeetingFeed(kv);
  for (let i = 1; i <= 5; i++) await appendEvent(kv, "1111111111", "t", { i });
  const c = collector();
  const stop = await feed.subscribe("1111111111", 2, (e) => c.push(e));
  for (let i = 6; i <= 9; i++) await appendEvent(kv, "1111111111", "t", { i });
  await c.until(7);
  assert.deepEqual(c.got.map((e) => e.id), [3, 4, 5, 6, 7, 8, 9]);
  stop();
  feed.close();
  kv.close();
});

Deno.test("another process writing to the same KV file reaches this process's subscribers", async () => {
  // Deno KV's sqlite watch does not wake for other processes' writes: this is why pollMs exists.
  const dir = await Deno.makeTempDir();
  const path = `${dir}/kv.sqlite`;
  const kv = await Deno.openKv(path);
  const feed = new MeetingFeed(kv, { pollMs: 50 });
  const c = collector();
  const stop = await feed.subscribe("2222222222", 0, (e) => c.push(e));
  await appendEvent(kv, "2222222222", "from-here", {});
  const events = new URL("./events.ts", import.meta.url).href;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { appendEvent } from ${JSON.stringify(events)};
       const kv = await Deno.openKv(${JSON.stringify(path)});
       await appendEvent(kv, "2222222222", "from-other-process", {});
       await appendEvent(kv, "2222222222", "from-other-process", {});
       kv.close();`,
    ],
    stdout: "inherit",
    stderr: "inherit",
  });
  const status = await child.output();
  assert.equal(status.code, 0, "the writer process succeeded");
  await c.until(3);
  assert.deepEqual(c.got.map((e) => [e.id, e.type]), [
    [1, "from-here"],
    [2, "from-other-process"],
    [3, "from-other-process"],
  ]);
  stop();
  feed.close();
  kv.close();
  await Deno.remove(dir, { recursive: true });
});
