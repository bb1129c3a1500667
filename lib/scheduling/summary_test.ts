// The recurrence summary read out for people, for the rules the form makes and a few the API can.

import assert from "node:assert/strict";
import { buildRrule } from "./recurrence.ts";
import { parseLocal } from "./tz.ts";
import { ENGLISH, formatRecurrence, recurrenceParts, summarizeRecurrence } from "./summary.ts";
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
