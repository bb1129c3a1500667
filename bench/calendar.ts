// Calendar feed cost: a person with 1,000 scheduled meetings (a third recurring, some with
// exceptions), feed generation with and without the KV reads, against JSON.stringify of the same records.
// Run: deno run -A bench/calendar.ts (a few seconds; BENCH_STRICT=1 exits 1 when a goal is missed).
// Goals: building the .ics from the records under 50 ms and at most 15 × JSON.stringify.

import { createUser, updateUser } from "../lib/accounts/users.ts";
import { loadConfig } from "../lib/common/config.ts";
import { setQuiet } from "../lib/common/log.ts";
import { buildFeed } from "../lib/scheduling/ics.ts";
import { feedItems, renderFeed } from "../lib/scheduling/feed.ts";
import { createScheduledMeeting, updateSchedule } from "../lib/scheduling/schedule.ts";

setQuiet(true);
const MEETINGS = 1000;
const ROUNDS = 10;
const GOAL_MS = 50;
const GOAL_RATIO = 15;
const zones = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "UTC", "Australia/Sydney"];

const kv = await Deno.openKv(":memory:");
const config = loadConfig({ TALKSPACE_ENV: "test", PUBLIC_URL: "https://meet.example.org", KV_PATH: ":memory:" });
const u = await createUser(kv, { name: "Bench Host", email: "bench@example.org", passwordHash: "x" });
const user = (await updateUser(kv, u.id, () => ({ emailVerified: true })))!;

for (let i = 0; i < MEETINGS; i++) {
  const day = 1 + (i % 28);
  const month = 1 + (i % 12);
  const recurring = i % 3 === 0;
  const { meeting } = await createScheduledMeeting(kv, {
    hostId: user.id,
    title: `Meeting ${i}`,
    startsAt: `2027-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}T${
      String(8 + (i % 9)).padStart(2, "0")
    }:00:00`,
    timeZone: zones[i % zones.length],
    durationMinutes: 30 + (i % 4) * 15,
    rrule: recurring ? (i % 2 ? "FREQ=WEEKLY;COUNT=20" : "FREQ=DAILY;COUNT=30") : null,
    description: "Agenda: updates, blockers, next steps.",
    invitees: [`a${i}@example.org`, `b${i}@example.org`, `c${i}@example.org`],
    uidDomain: "meet.example.org",
  });
  if (recurring && i % 6 === 0) {
    // A cancelled and a moved occurrence on some series, so EXDATE and RECURRENCE-ID are exercised.
    await updateSchedule(kv, meeting.meetingId, (s) => {
      const rid2 = s.startsAt; // the first occurrence is moved by an hour
      const hour = Number(rid2.slice(11, 13)) + 1;
      return {
        schedule: {
          exceptions: {
            cancelled: [],
            overrides: {
              [rid2]: { startsAt: `${rid2.slice(0, 11)}${String(hour).padStart(2, "0")}:00:00`, durationMinutes: 45 },
            },
          },
        },
      };
    });
  }
}

function time(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}
async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const items = await feedItems(kv, user);
// Warm up (JIT, VTIMEZONE cache) before measuring.
buildFeed(items, { publicUrl: config.publicUrl, name: "bench" });
JSON.stringify(items);

const build: number[] = [];
const full: number[] = [];
const json: number[] = [];
let bytes = 0;
let jsonBytes = 0;
for (let r = 0; r < ROUNDS; r++) {
  build.push(time(() => bytes = buildFeed(items, { publicUrl: config.publicUrl, name: "bench" }).length));
  json.push(time(() => jsonBytes = JSON.stringify(items).length));
  full.push(await timeAsync(() => renderFeed(kv, config, user)));
}

const b = median(build);
const f = median(full);
const j = median(json);
console.log(
  `calendar feed, ${items.length} meetings (${
    items.filter((i) => i.schedule.rrule).length
  } recurring), median of ${ROUNDS}`,
);
console.log(
  `  build .ics from records : ${b.toFixed(1)} ms (${((b / items.length) * 1000).toFixed(1)} µs/event), ${
    (bytes / 1024).toFixed(0)
  } KiB`,
);
console.log(`  KV reads + build        : ${f.toFixed(1)} ms (${((f / items.length) * 1000).toFixed(1)} µs/event)`);
console.log(
  `  JSON.stringify records  : ${j.toFixed(2)} ms (${((j / items.length) * 1000).toFixed(2)} µs/event), ${
    (jsonBytes / 1024).toFixed(0)
  } KiB`,
);
console.log(`  ratio build / JSON      : ${(b / j).toFixed(1)}×`);
kv.close();

const missed: string[] = [];
if (b >= GOAL_MS) missed.push(`build ${b.toFixed(1)} ms is not under ${GOAL_MS} ms`);
if (b / j > GOAL_RATIO) missed.push(`build / JSON ${(b / j).toFixed(1)}× is over ${GOAL_RATIO}×`);
if (missed.length) { for (const m of missed) console.log(`bench: ${m}`); }
else console.log(`bench: meets the goals (build < ${GOAL_MS} ms, build / JSON ≤ ${GOAL_RATIO}×)`);
if (missed.length && Deno.env.get("BENCH_STRICT") === "1") Deno.exit(1);
