// The recordings store and state rules over a real (in-memory) Deno KV: pages read only what they
// show, newest first, with cursors; two starts cannot both win; the gateway's reports only move a
// recording forward; retention's index follows expiresAt and the sweeper deletes what expired.

import assert from "node:assert/strict";
import { setQuiet } from "../common/log.ts";
import { commitAtomic, commitOrThrow } from "../common/kv.ts";
import type { Store } from "../common/store.ts";
import {
  activeEntry,
  expiredRecordingIds,
  getRecording,
  getRecordingEntry,
  listMeetingRecordings,
  listOwnerRecordings,
  newRecording,
  type Recording,
  writeStart,
  writeStop,
} from "./store.ts";
import { applyStatus, sweepExpiredRecordings } from "./service.ts";
import { InvalidCursor } from "../accounts/users.ts";

setQuiet(true);

function recording(meetingId: string): Recording {
  return newRecording({ meetingId, meetingRecordId: "M", ownerId: "owner", title: "Weekly", startedBy: "owner" });
}

/** A recording started and stopped (processing), as the service writes it. */
async function recorded(kv: Store, meetingId: string): Promise<Recording> {
  const rec = recording(meetingId);
  await commitOrThrow(writeStart(kv.atomic(), await activeEntry(kv, meetingId), rec), "start");
  const next = { ...rec, state: "processing" as const, stoppedAt: new Date().toISOString() };
  await commitOrThrow(
    writeStop(kv.atomic(), await activeEntry(kv, meetingId), await getRecordingEntry(kv, rec.id), next),
    "stop",
  );
  return next;
}

/** Counts the store's reads (list entries and gets) while `f` runs. */
async function countingReads<T>(kv: Deno.Kv, f: (kv: Store) => Promise<T>): Promise<{ result: T; reads: number }> {
  let reads = 0;
  const counted = new Proxy(kv, {
    get(target, prop) {
      const v = Reflect.get(target, prop);
      if (prop === "getMany") return (keys: Deno.KvKey[]) => ((reads += keys.length), v.call(target, keys));
      if (prop === "get") return (key: Deno.KvKey) => ((reads += 1), v.call(target, key));
      if (prop === "list") {
        return (sel: Deno.KvListSelector, opts?: Deno.KvListOptions) => {
          const it = v.call(target, sel, opts) as Deno.KvListIterator<unknown>;
          return {
            async next() {
              const r = await it.next();
              if (!r.done) reads++;
              return r;
            },
            [Symbol.asyncIterator]() {
              return this;
            },
            get cursor() {
              return it.cursor;
            },
          };
        };
      }
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { result: await f(counted as unknown as Store), reads };
}

Deno.test("recordings: pages newest first by cursor, reading only the page", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const made: string[] = [];
    for (let i = 0; i < 60; i++) made.push((await recorded(kv, String(1000000000 + (i % 3)))).id);
    const newest = made.toReversed();
    const first = await countingReads(kv, (s) => listOwnerRecordings(s, "owner", { limit: 25 }));
    assert.deepEqual(first.result.recordings.map((r) => r.id), newest.slice(0, 25));
    // 26 index entries (one to know there is more) and 25 records: never the 60.
    assert.equal(first.reads, 51);
    const second = await listOwnerRecordings(kv, "owner", { limit: 25, cursor: first.result.nextCursor! });
    assert.deepEqual(second.recordings.map((r) => r.id), newest.slice(25, 50));
    const third = await listOwnerRecordings(kv, "owner", { limit: 25, cursor: second.nextCursor! });
    assert.deepEqual(third.recordings.map((r) => r.id), newest.slice(50));
    assert.equal(third.nextCursor, null);
    const ofMeeting = await listMeetingRecordings(kv, "1000000001", { limit: 100 });
    assert.equal(ofMeeting.recordings.length, 20);
    assert.ok(ofMeeting.recordings.every((r) => r.meetingId === "1000000001"));
    assert.deepEqual((await listOwnerRecordings(kv, "someone else")).recordings, []);
    await assert.rejects(listOwnerRecordings(kv, "owner", { cursor: "not-a-cursor" }), InvalidCursor);
  } finally {
    kv.close();
  }
});

Deno.test("recordings: of two starts in one meeting only one commits", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const marker = await activeEntry(kv, "1234567890");
    const [a, b] = [recording("1234567890"), recording("1234567890")];
    const results = await Promise.all([a, b].map((r) => commitAtomic(writeStart(kv.atomic(), marker, r))));
    assert.deepEqual(results.map((r) => r.ok).sort(), [false, true]);
    const winner = results[0].ok ? a : b;
    assert.equal((await activeEntry(kv, "1234567890")).value, winner.id);
    assert.equal(await getRecording(kv, (winner === a ? b : a).id), null);
  } finally {
    kv.close();
  }
});

Deno.test("recordings: reports move a recording forward only; retention deletes it when due", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    const deps = { kv, engine: null, retentionDays: 30 };
    const rec = await recorded(kv, "1234567890");
    assert.equal((await applyStatus(deps, rec.id, { state: "processing", progress: 40 }))?.progress, 40);
    // An older report (progress 20) arriving late does not move the bar back.
    assert.equal((await applyStatus(deps, rec.id, { state: "processing", progress: 20 }))?.progress, 40);
    const ready = await applyStatus(deps, rec.id, { state: "ready", durationSeconds: 61, sizeBytes: 12345 });
    assert.equal(ready?.state, "ready");
    assert.equal(ready?.progress, 100);
    assert.equal(ready?.sizeBytes, 12345);
    const due = Date.parse(ready!.expiresAt!);
    assert.ok(Math.abs(due - (Date.now() + 30 * 86_400_000)) < 60_000, "kept 30 days");
    // Ready is final: a late "failed" or "processing" report changes nothing.
    assert.equal((await applyStatus(deps, rec.id, { state: "failed", reason: "late" }))?.state, "ready");
    assert.equal((await applyStatus(deps, rec.id, { state: "processing", progress: 10 }))?.progress, 100);
    // A recording the web still shows as running ignores the gateway's processing reports.
    const running = recording("1234567891");
    await commitOrThrow(writeStart(kv.atomic(), await activeEntry(kv, "1234567891"), running), "start");
    assert.equal((await applyStatus(deps, running.id, { state: "ready" }))?.state, "recording");

    assert.deepEqual(await expiredRecordingIds(kv, due - 1), []);
    assert.deepEqual(await expiredRecordingIds(kv, due), [rec.id]);
    assert.equal(await sweepExpiredRecordings(deps, due - 1), 0);
    assert.equal(await sweepExpiredRecordings(deps, due), 1);
    assert.equal(await getRecording(kv, rec.id), null);
    assert.deepEqual((await listOwnerRecordings(kv, "owner")).recordings.map((r) => r.id), [running.id]);
    assert.deepEqual(await expiredRecordingIds(kv, due + 1), []);
  } finally {
    kv.close();
  }
});
