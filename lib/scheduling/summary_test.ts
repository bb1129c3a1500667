// The recurrence summary read out for people, for the rules the form makes and a few the API can.

import assert from "node:assert/strict";
import { buildRrule } from "./recurrence.ts";
import { parseLocal } from "./tz.ts";
import { ENGLISH, formatRecurrence, recurrenceParts, summarizeRecurrence, summaryCatalog } from "./summary.ts";
import type { SummaryCatalog } from "./summary.ts";

const say = (startsAt: string, timeZone: string, rrule: string | null) =>
  summarizeRecurrence({ startsAt, timeZone, rrule });

Deno.test("summaries of the form's choices", () => {
  const tue = "2027-03-02T09:00:00";
  const ny = "America/New_York";
  const built = (kind: "daily" | "weekdays" | "weekly" | "monthly", extra = {}) =>
    buildRrule({ kind, ...extra }, parseLocal(tue)!, ny);
  assert.equal(say(tue, ny, null), "Does not repeat");
  assert.equal(say(tue, ny, built("weekly")), "Every Tuesday at 09:00, New York time");
  assert.equal(
    say("2027-03-01T08:30:00", "Europe/Berlin", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
    "Every weekday at 08:30, Berlin time",
  );
  assert.equal(say(tue, ny, built("daily")), "Every day at 09:00, New York time");
  assert.equal(say(tue, ny, built("monthly", { count: 6 })), "Monthly on the 2nd at 09:00, New York time, 6 times");
  assert.equal(
    say(tue, ny, built("weekly", { days: ["TU", "TH"], until: "2027-06-30" })),
    "Every Tuesday and Thursday at 09:00, New York time, until 30 June 2027",
    "UNTIL is stored in UTC (1 July 03:59:59Z) but read as the local last day",
  );
  assert.equal(say(tue, "UTC", "FREQ=DAILY;COUNT=1"), "Every day at 09:00, UTC time, 1 time");
});

Deno.test("summaries of rules from the API", () => {
  const berlin = "Europe/Berlin";
  assert.equal(
    say("2027-03-01T17:00:00", berlin, "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20270630T215959Z"),
    "Every 2 weeks on Monday and Thursday at 17:00, Berlin time, until 30 June 2027",
  );
  assert.equal(
    say("2027-03-01T10:00:00", berlin, "FREQ=MONTHLY;BYDAY=1MO;COUNT=6"),
    "Monthly on the first Monday at 10:00, Berlin time, 6 times",
  );
  assert.equal(
    say("2027-03-26T10:00:00", berlin, "FREQ=MONTHLY;BYDAY=-1FR"),
    "Monthly on the last Friday at 10:00, Berlin time",
  );
  assert.equal(
    say("2027-03-31T10:00:00", berlin, "FREQ=MONTHLY;BYMONTHDAY=-1"),
    "Monthly on the last day at 10:00, Berlin time",
  );
  assert.equal(say("2027-03-01T10:00:00", berlin, "FREQ=DAILY;INTERVAL=3"), "Every 3 days at 10:00, Berlin time");
  assert.equal(say("2027-03-15T10:00:00", berlin, "FREQ=YEARLY"), "Every year on 15 March at 10:00, Berlin time");
  assert.equal(
    say("2027-03-14T10:00:00", "America/Argentina/Buenos_Aires", "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=2SU"),
    "Every 2 years on the second Sunday of March at 10:00, Buenos Aires time",
  );
  assert.equal(
    say("2027-03-01T10:00:00", berlin, "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
    "Repeats monthly (custom rule) at 10:00, Berlin time",
    "a rule the sentence cannot say is not said wrongly",
  );
});

Deno.test("a catalog is all the language there is", () => {
  const shout: SummaryCatalog = {
    ...ENGLISH,
    weekly: (n, days) => `EVERY ${n} WEEK(S) ON ${days.toUpperCase()}`,
    zone: (text, place) => `${text} [${place}]`,
  };
  const parts = recurrenceParts({ startsAt: "2027-03-02T09:00:00", timeZone: "Asia/Tokyo", rrule: "FREQ=WEEKLY" });
  assert.deepEqual(parts.pattern, { kind: "weekly", interval: 1, days: ["TU"] });
  assert.deepEqual(parts.ending, { kind: "never" });
  assert.equal(formatRecurrence(parts, shout), "EVERY 1 WEEK(S) ON TUESDAY at 09:00 [Tokyo]");
});

Deno.test("each language's summary: its own words, Intl's weekday and month names, its plurals", () => {
  const de = summaryCatalog("de");
  const es = summaryCatalog("es");
  const ar = summaryCatalog("ar");
  const tue = { startsAt: "2027-03-02T09:00:00", timeZone: "America/New_York", rrule: "FREQ=WEEKLY" };
  assert.equal(summarizeRecurrence(tue, de), "Jeden Dienstag um 09:00, Zeit New York");
  assert.equal(summarizeRecurrence(tue, es), "Cada martes a las 09:00, hora de New York");
  assert.equal(summarizeRecurrence(tue, ar), "كل يوم الثلاثاء الساعة 09:00، بتوقيت New York");
  const berlin = "Europe/Berlin";
  const every2 = {
    startsAt: "2027-03-01T17:00:00",
    timeZone: berlin,
    rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;UNTIL=20270630T215959Z",
  };
  assert.equal(
    summarizeRecurrence(every2, de),
    "Alle 2 Wochen am Montag und Donnerstag um 17:00, Zeit Berlin, bis 30. Juni 2027",
  );
  assert.equal(
    summarizeRecurrence(every2, es),
    "Cada 2 semanas, los lunes y jueves a las 17:00, hora de Berlin, hasta el 30 de junio de 2027",
  );
  const firstMonday = { startsAt: "2027-03-01T10:00:00", timeZone: berlin, rrule: "FREQ=MONTHLY;BYDAY=1MO;COUNT=6" };
  assert.equal(summarizeRecurrence(firstMonday, de), "Monatlich am ersten Montag um 10:00, Zeit Berlin, 6 Mal");
  assert.equal(summarizeRecurrence(firstMonday, es), "Cada mes, el primer lunes a las 10:00, hora de Berlin, 6 veces");
  assert.equal(summarizeRecurrence(firstMonday, ar), "شهريًا يوم الاثنين الأول الساعة 10:00، بتوقيت Berlin، 6 مرات");
  const monthly = (count: number) => ({
    startsAt: "2027-03-02T09:00:00",
    timeZone: "UTC",
    rrule: `FREQ=MONTHLY;COUNT=${count}`,
  });
  assert.equal(summarizeRecurrence(monthly(1), de), "Monatlich am 2. um 09:00, Zeit UTC, 1 Mal");
  // Arabic's counts: one, two, few (3–10), many (11–99).
  assert.match(summarizeRecurrence(monthly(1), ar), /، مرة واحدة$/);
  assert.match(summarizeRecurrence(monthly(2), ar), /، مرتين$/);
  assert.match(summarizeRecurrence(monthly(5), ar), /، 5 مرات$/);
  assert.match(summarizeRecurrence(monthly(11), ar), /، 11 مرة$/);
  const yearly = {
    startsAt: "2027-03-14T10:00:00",
    timeZone: berlin,
    rrule: "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=2SU",
  };
  assert.equal(summarizeRecurrence(yearly, de), "Alle 2 Jahre am zweiten Sonntag im März um 10:00, Zeit Berlin");
  assert.equal(summarizeRecurrence(yearly, es), "Cada 2 años, el segundo domingo de marzo a las 10:00, hora de Berlin");
  assert.equal(summarizeRecurrence({ ...tue, rrule: null }, de), "Keine Wiederholung");
  assert.equal(
    summarizeRecurrence({ startsAt: "2027-03-15T10:00:00", timeZone: berlin, rrule: "FREQ=YEARLY" }, de),
    "Jährlich am 15. März um 10:00, Zeit Berlin",
  );
  assert.equal(summaryCatalog("en").daily(3), ENGLISH.daily(3), "English is the default catalog");
});
