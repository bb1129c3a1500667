import type { StoreAtomic } from "../common/store.ts";
import assert from "node:assert/strict";
import { appendEvent, commitChange, eventsSince } from "./events.ts";
import type { MeetingEvent } from "./events.ts";
import { MeetingFeed } from "./feed.ts";
import { eventKeys } from "./keys.ts";

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

Deno.test("changes asked for at the same moment share commits, with consecutive ids in the order asked", async () => {
  const kv = await Deno.openKv(":memory:");
  const meetingId = "3333333333";
  const done = await Promise.all(
    Array.from({ length: 60 }, (_, i) =>
      commitChange(kv, meetingId, (id) =>
        Promise.resolve({
          event: { type: "t", data: { i } },
          result: i,
          // A record under the message's own id, as chat stores its messages.
          writes: (op: StoreAtomic) => op.set(["record", meetingId, id], i),
        }))),
  );
  assert.deepEqual(done.map((d) => d!.event!.id), Array.from({ length: 60 }, (_, i) => i + 1));
  for (const d of done) assert.equal((await kv.get(["record", meetingId, d!.event!.id])).value, d!.result);
  const stamps = new Set<string>();
  for await (const e of kv.list({ prefix: eventKeys.events(meetingId) })) stamps.add(e.versionstamp);
  assert.ok(stamps.size < 10, `60 messages took ${stamps.size} commits`);
  kv.close();
});

Deno.test("changes to the same record never share a commit, so none is lost", async () => {
  const kv = await Deno.openKv(":memory:");
  const key = ["counter", "x"];
  // Each reads the counter and writes it plus one under a check of what it read: in one commit two
  // such checks would both pass and one increment would vanish.
  await Promise.all(Array.from({ length: 30 }, () =>
    commitChange(kv, "4444444444", async () => {
      const entry = await kv.get<number>(key);
      return {
        event: { type: "counted", data: {} },
        result: null,
        writes: (op: StoreAtomic) => op.check(entry).set(key, (entry.value ?? 0) + 1),
      };
    })));
  assert.equal((await kv.get(key)).value, 30);
  assert.equal((await eventsSince(kv, "4444444444", 0)).length, 30);
  kv.close();
});

Deno.test("a change that throws fails alone; the ones committed with it are kept", async () => {
  const kv = await Deno.openKv(":memory:");
  const results = await Promise.allSettled([
    appendEvent(kv, "5555555555", "a", {}),
    commitChange(kv, "5555555555", () => Promise.reject(new Error("refused"))),
    appendEvent(kv, "5555555555", "b", {}),
    appendEvent(kv, "5555555555", "c", {}),
  ]);
  assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  assert.deepEqual((await eventsSince(kv, "5555555555", 0)).map((e) => [e.id, e.type]), [[1, "a"], [2, "b"], [3, "c"]]);
  kv.close();
});

Deno.test("a subscriber that starts ahead of the feed does not get again what it already covers", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/kv.sqlite`;
  const kv = await Deno.openKv(path);
  const feed = new MeetingFeed(kv); // no polling: another process's writes do not wake it
  const early = collector();
  const stopEarly = await feed.subscribe("6666666666", 0, (e) => early.push(e));
  const events = new URL("./events.ts", import.meta.url).href;
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { appendEvent } from ${JSON.stringify(events)};
       const kv = await Deno.openKv(${JSON.stringify(path)});
       for (let i = 0; i < 3; i++) await appendEvent(kv, "6666666666", "elsewhere", {});
       kv.close();`,
    ],
  }).output();
  assert.equal(child.code, 0, new TextDecoder().decode(child.stderr));
  assert.equal(early.got.length, 0, "the feed has not heard of the other process's messages yet");
  // A socket whose welcome read the head (3) itself, before this process's feed heard of 1..3.
  const ahead = collector();
  const stopAhead = await feed.subscribe("6666666666", 3, (e) => ahead.push(e));
  await appendEvent(kv, "6666666666", "here", {});
  await early.until(4);
  await ahead.until(1);
  assert.deepEqual(early.got.map((e) => e.id), [1, 2, 3, 4]);
  assert.deepEqual(ahead.got.map((e) => e.id), [4]);
  stopEarly();
  stopAhead();
  feed.close();
  kv.close();
  await Deno.remove(dir, { recursive: true });
});
