// Recurrence expansion on windows: series that never end, windows far from the first meeting, the
// cost of a window, and the rules validateRrule accepts and refuses.

import assert from "node:assert/strict";
import ICAL from "ical.js";
import { expandSeries, isEndless, nextInSeries, seriesYearSpan, validateRrule } from "./recurrence.ts";
import { RecurrenceError } from "./recurrence.ts";
import { english, say } from "../i18n/message.ts";
import { translator } from "../i18n/translate.ts";
import { formatLocal, parseLocal, toLocal, toUtcMs } from "./tz.ts";
import { nextOccurrenceOf } from "./occurrences.ts";
import type { Schedule } from "./schedule.ts";

const DAY = 86_400_000;

/** The series walked from its first meeting with ical.js alone: what a window must agree with. */
function reference(series: { startsAt: string; timeZone: string; rrule: string }, fromMs: number, toMs: number) {
  const start = parseLocal(series.startsAt)!;
  const recur = ICAL.Recur.fromString(series.rrule);
  const it = recur.iterator(ICAL.Time.fromData({ ...start, isDate: false }));
  const out: string[] = [];
  for (let next = it.next(); next; next = it.next()) {
    const local = {
      year: next.year,
      month: next.month,
      day: next.day,
      hour: next.hour,
      minute: next.minute,
      second: 0,
    };
    const ms = toUtcMs(series.timeZone, local);
    if (ms >= toMs) break;
    if (ms >= fromMs) out.push(formatLocal(local));
  }
  return out;
}

Deno.test("a window far from the start holds exactly the meetings the whole walk finds there", () => {
  const rules = [
    "FREQ=DAILY",
    "FREQ=DAILY;INTERVAL=3",
    "FREQ=WEEKLY;BYDAY=TU",
    "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
    "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,SA;WKST=SU",
    "FREQ=MONTHLY;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYMONTHDAY=31",
    "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=YEARLY",
    "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=2SU",
    "FREQ=DAILY;UNTIL=20310101T000000Z",
  ];
  const starts = ["2026-01-31T09:00:00", "2026-03-08T02:30:00", "2026-06-16T23:30:00"];
  const zones = ["America/New_York", "Europe/Berlin", "Australia/Sydney"];
  for (const rrule of rules) {
    for (const startsAt of starts) {
      for (const timeZone of zones) {
        const series = { startsAt, timeZone, rrule };
        const first = toUtcMs(timeZone, parseLocal(startsAt)!);
        // Windows of different lengths, from just after the start to nine years on.
        for (const [offsetDays, lengthDays] of [[0, 40], [3, 10], [200, 30], [800, 90], [3300, 400]]) {
          const from = first + offsetDays * DAY + 3_600_000;
          const to = from + lengthDays * DAY;
          const got = expandSeries(series, from, to).map((o) => o.recurrenceId);
          assert.deepEqual(got, reference(series, from, to), `${rrule} from ${startsAt} ${timeZone} +${offsetDays}d`);
        }
      }
    }
  }
});

Deno.test("series that never end: daily, weekly and monthly windows a century ahead", () => {
  const zone = "America/New_York";
  const from = Date.UTC(2126, 5, 1);
  const to = Date.UTC(2126, 6, 1);
  const daily = expandSeries({ startsAt: "2026-01-05T08:30:00", timeZone: zone, rrule: "FREQ=DAILY" }, from, to);
  assert.equal(daily.length, 30, "every day of June 2126");
  for (const o of daily) assert.deepEqual([toLocal(zone, o.startMs).hour, toLocal(zone, o.startMs).minute], [8, 30]);

  const weekly = expandSeries(
    { startsAt: "2026-01-06T09:00:00", timeZone: zone, rrule: "FREQ=WEEKLY;BYDAY=TU" },
    from,
    to,
  );
  assert.deepEqual(weekly.map((o) => o.recurrenceId.slice(0, 10)), [
    "2126-06-04",
    "2126-06-11",
    "2126-06-18",
    "2126-06-25",
  ]);
  for (const o of weekly) assert.equal(new Date(o.startMs).getUTCDay(), 2, "Tuesdays");
  // Summer time in New York: 09:00 EDT is 13:00Z.
  assert.equal(new Date(weekly[0].startMs).toISOString(), "2126-06-04T13:00:00.000Z");

  const monthly = expandSeries(
    { startsAt: "2026-01-05T10:00:00", timeZone: zone, rrule: "FREQ=MONTHLY;BYDAY=1MO" },
    Date.UTC(2126, 0, 1),
    Date.UTC(2127, 0, 1),
  );
  assert.equal(monthly.length, 12, "one first Monday a month");
  for (const o of monthly) {
    const d = Number(o.recurrenceId.slice(8, 10));
    assert.ok(d <= 7 && new Date(Date.UTC(2126, Number(o.recurrenceId.slice(5, 7)) - 1, d)).getUTCDay() === 1);
  }
});

Deno.test("a window's cost does not grow with how far ahead it lies", () => {
  const series = { startsAt: "2026-01-05T09:00:00", timeZone: "Europe/Berlin", rrule: "FREQ=WEEKLY;BYDAY=MO,WE,FR" };
  const stepsFor = (yearsAhead: number) => {
    const stats = { steps: 0 };
    const from = Date.UTC(2026 + yearsAhead, 2, 1);
    const got = expandSeries(series, from, from + 28 * DAY, { stats });
    assert.equal(got.length, 12, `four weeks of three meetings, ${yearsAhead} years on`);
    return stats.steps;
  };
  const near = stepsFor(1);
  for (const years of [10, 50, 150]) {
    const far = stepsFor(years);
    assert.ok(far <= near + 3, `${years} years ahead took ${far} steps, one year ahead ${near}`);
  }
  // What is needed: the window's meetings plus about two periods before it.
  assert.ok(near <= 12 + 3 * 3 + 1, `${near} steps for a four-week window`);

  const stats = { steps: 0 };
  assert.equal(
    nextInSeries({ ...series, rrule: "FREQ=DAILY" }, Date.UTC(2170, 0, 1))?.recurrenceId,
    "2170-01-01T09:00:00",
  );
  expandSeries({ ...series, rrule: "FREQ=DAILY" }, Date.UTC(2170, 0, 1), Infinity, { limit: 1, stats });
  assert.ok(stats.steps <= 6, `the next daily meeting 144 years on took ${stats.steps} steps`);
});

Deno.test("validateRrule accepts a rule without an end and never walks it", () => {
  const start = parseLocal("2027-03-02T09:00:00")!;
  const rule = validateRrule("RRULE:freq=weekly;byday=TU", start, "America/New_York");
  assert.equal(rule, "FREQ=WEEKLY;BYDAY=TU");
  assert.ok(isEndless(rule));
  assert.ok(!isEndless("FREQ=DAILY;COUNT=3") && !isEndless("FREQ=DAILY;UNTIL=20280101T000000Z") && !isEndless(null));
  // Bounded rules keep their limits; the refusal is a message key with its values, English for the API.
  const refusal = (rule: string) => {
    try {
      validateRrule(rule, start, "UTC");
    } catch (err) {
      assert.ok(err instanceof RecurrenceError);
      return { coded: err.message, english: english(err.message), german: say(translator("de"), err.message) };
    }
    assert.fail(`${rule} was accepted`);
  };
  assert.deepEqual(refusal("FREQ=DAILY;COUNT=2001"), {
    coded: 'meetings.error.seriesCount{"max":2000}',
    english: "A series has between 1 and 2000 meetings",
    german: "Eine Serie hat zwischen 1 und 2000 Meetings",
  });
  assert.equal(refusal("FREQ=DAILY;UNTIL=20330101T000000Z").english, "The series must end within 5 years of its start");
  assert.equal(refusal("FREQ=YEARLY;COUNT=7").english, "The series must end within 5 years of its start");
  assert.equal(refusal("FREQ=HOURLY").english, "Repeat DAILY, WEEKLY, MONTHLY or YEARLY (FREQ=…)");
  assert.equal(refusal("FREQ=DAILY;X-Y=1").english, '"X-Y=1" is not a NAME=VALUE part of a recurrence rule');
  assert.equal(validateRrule("FREQ=YEARLY;COUNT=5", start, "UTC"), "FREQ=YEARLY;COUNT=5");
});

Deno.test("a rule naming days that never exist is refused instead of searched forever", () => {
  const start = parseLocal("2027-01-05T09:00:00")!;
  for (
    const rule of [
      "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
      "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=2",
      "FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31",
    ]
  ) {
    assert.throws(() => validateRrule(rule, start, "UTC"), (err) => err instanceof RecurrenceError, rule);
  }
  assert.ok(validateRrule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", start, "UTC"), "leap days do exist");
});

function schedule(over: Partial<Schedule>): Schedule {
  return {
    id: "01J",
    meetingId: "1234567890",
    hostId: "u",
    description: "",
    startsAt: "2026-01-06T09:00:00",
    timeZone: "America/New_York",
    durationMinutes: 30,
    rrule: "FREQ=WEEKLY;BYDAY=TU",
    invitees: [],
    uid: "x@localhost",
    sequence: 0,
    exceptions: { cancelled: [], overrides: {} },
    cancelledAt: null,
    createdAt: "2026-01-01T00:00:00.000Z",
    updatedAt: "2026-01-01T00:00:00.000Z",
    ...over,
  } as Schedule;
}

Deno.test("nextOccurrenceOf finds the next meeting of an endless series decades on, skipping cancelled ones", () => {
  const from = Date.UTC(2090, 0, 1);
  const s = schedule({});
  assert.equal(nextOccurrenceOf(s, from)?.recurrenceId, "2090-01-03T09:00:00");
  const cancelled = schedule({
    exceptions: { cancelled: ["2090-01-03T09:00:00", "2090-01-10T09:00:00"], overrides: {} },
  });
  assert.equal(nextOccurrenceOf(cancelled, from)?.recurrenceId, "2090-01-17T09:00:00");
  const moved = schedule({
    exceptions: {
      cancelled: [],
      overrides: { "2090-01-03T09:00:00": { startsAt: "2090-01-04T11:00:00", durationMinutes: 30 } },
    },
  });
  const next = nextOccurrenceOf(moved, from)!;
  assert.equal(next.recurrenceId, "2090-01-03T09:00:00");
  assert.equal(formatLocal(toLocal("America/New_York", next.start.getTime())), "2090-01-04T11:00:00");
  assert.equal(
    nextOccurrenceOf(schedule({ rrule: "FREQ=WEEKLY;BYDAY=TU;COUNT=3" }), from),
    null,
    "a finite series ends",
  );
  assert.equal(nextOccurrenceOf(schedule({ cancelledAt: "2026-01-02T00:00:00.000Z" }), from), null);
});

Deno.test("a VTIMEZONE for a series that never ends covers its start to a few years past now", () => {
  const s = { startsAt: "2026-01-06T09:00:00", timeZone: "Europe/Berlin", rrule: "FREQ=WEEKLY;BYDAY=TU" };
  assert.deepEqual(seriesYearSpan(s, Date.UTC(2026, 5, 1)), [2026, 2031]);
  assert.deepEqual(seriesYearSpan(s, Date.UTC(2040, 5, 1)), [2026, 2045]);
});
