// The iCalendar writer against ical.js as an independent reader: hostile text round-trips exactly
// (line ends normalized), no physical line exceeds 75 octets or splits a character, and the cheap
// VTIMEZONE year span always covers what expanding the series finds.

import assert from "node:assert/strict";
import ICAL from "ical.js";
import { buildCancel, buildFeed, buildRequest, escapeText, foldLine, paramValue } from "./ics.ts";
import type { CalendarItem } from "./ics.ts";
import { seriesBounds, seriesYearSpan } from "./recurrence.ts";
import type { Meeting } from "../meetings/store.ts";
import type { Schedule } from "./schedule.ts";

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const CTX = { publicUrl: "https://meet.example.org", sipHost: "sip.example.org" };

function item(title: string, opts: Partial<Schedule> = {}, organizerName = "Hana Host"): CalendarItem {
  const meeting = { meetingId: "1234567890", title, passcode: "123456", linkToken: "tok-en_1", hostId: "h" };
  const schedule = {
    id: "s1",
    meetingId: "1234567890",
    uid: "abc@meet.example.org",
    startsAt: "2027-03-01T09:00:00",
    timeZone: "America/New_York",
    durationMinutes: 30,
    rrule: "FREQ=WEEKLY;COUNT=4;BYDAY=MO",
    description: "",
    sequence: 2,
    invitees: [{ email: "gus@example.org", response: "needs-action" }],
    exceptions: {
      cancelled: ["2027-03-15T09:00:00"],
      overrides: { "2027-03-22T09:00:00": { startsAt: "2027-03-22T11:00:00", durationMinutes: 45 } },
    },
    cancelledAt: null,
    ...opts,
  };
  return {
    meeting: meeting as unknown as Meeting,
    schedule: schedule as unknown as Schedule,
    organizer: { name: organizerName, email: "hana@example.org" },
  };
}

/**
 * What a title becomes: control characters other than TAB and LF are not allowed in TEXT, so they
 * are dropped; CRLF reads as LF and a bare CR disappears.
 */
// deno-lint-ignore no-control-regex -- the control characters are what is being removed
const normalized = (s: string) => s.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, "");

const HOSTILE = [
  "carriage\rreturn",
  "line\nfeed",
  "crlf\r\nATTENDEE:mailto:evil@example.org",
  "semi;colon, comma and back\\slash \\n not a newline",
  "END:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected",
  "ünïcödé " + "日本語のタイトル".repeat(12) + " 🎉🎉🎉 " + "👩‍👩‍👧‍👦".repeat(10) + " e\u0301 " + "x".repeat(200),
  "\ttab, nul\u0000, bell\u0007, del\u007f",
  "a".repeat(74) + "é" + "🎉" + "b".repeat(73) + "日",
];

function assertWellFolded(text: string) {
  assert.ok(text.endsWith("\r\n"), "ends with CRLF");
  const lines = text.slice(0, -2).split("\r\n");
  for (const line of lines) {
    assert.ok(!line.includes("\r") && !line.includes("\n"), `bare CR or LF in ${JSON.stringify(line)}`);
    assert.ok(new TextEncoder().encode(line).length <= 75, `over 75 octets: ${JSON.stringify(line)}`);
    assert.doesNotMatch(line, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, "split pair");
    // deno-lint-ignore no-control-regex -- the point is to find control characters
    assert.doesNotMatch(line, /[\x00-\x08\x0a-\x1f\x7f]/, `control character in ${JSON.stringify(line)}`);
  }
}

Deno.test("ics: hostile titles and descriptions round-trip through ical.js to the exact text", () => {
  for (const title of HOSTILE) {
    const it = item(title, { description: `Agenda: ${title}` });
    for (
      const text of [
        buildRequest(it, { ...CTX, organizer: it.organizer }, NOW),
        buildFeed([it], { ...CTX, name: title }, NOW),
      ]
    ) {
      assertWellFolded(text);
      const cal = new ICAL.Component(ICAL.parse(text));
      const events = cal.getAllSubcomponents("vevent");
      assert.equal(events.length, 2, `master and one override for ${JSON.stringify(title)}`);
      for (const ev of events) {
        assert.equal(ev.getFirstPropertyValue("summary"), normalized(title));
        const description = String(ev.getFirstPropertyValue("description"));
        assert.ok(
          description.endsWith(`\n\n${normalized(`Agenda: ${title}`.trim())}`),
          `${JSON.stringify(description)} for ${JSON.stringify(title)}`,
        );
        // Nothing smuggled in: exactly the properties we write, one attendee at most.
        assert.equal(ev.getAllProperties("attendee").length, text.includes("METHOD:REQUEST") ? 1 : 0);
        assert.equal(ev.getAllProperties("summary").length, 1);
      }
    }
    const cancel = buildCancel(it, {}, NOW);
    assertWellFolded(cancel);
    const ev = new ICAL.Component(ICAL.parse(cancel)).getFirstSubcomponent("vevent")!;
    assert.equal(ev.getFirstPropertyValue("summary"), normalized(title));
    assert.equal(ev.getFirstPropertyValue("status"), "CANCELLED");
  }
});

Deno.test("ics: the feed name is TEXT and cannot add properties", () => {
  const text = buildFeed([item("t")], { ...CTX, name: "Talkspace — Eve\r\nMETHOD:REQUEST; x, y" }, NOW);
  assertWellFolded(text);
  assert.equal(text.match(/^METHOD:/gm)?.length, 1);
  assert.match(text, /^X-WR-CALNAME:Talkspace — Eve\\nMETHOD:REQUEST\\; x\\, y$/m);
});

Deno.test("ics: organizer names with ^, ; : , come back exactly (RFC 6868); quotes and line breaks do not survive", () => {
  for (const name of ['Ann "The Host" O\'Neil', "a;b:c,d", "caret ^ and ^n literally", "two\r\nlines", "Zoë 日本 🎉"]) {
    const it = item("t", {}, name);
    const text = buildRequest(it, { ...CTX, organizer: it.organizer }, NOW);
    assertWellFolded(text);
    const ev = new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent("vevent")!;
    const organizer = ev.getFirstProperty("organizer")!;
    // One line, no DQUOTE (a quoted parameter cannot hold one): the breaks become a space.
    assert.equal(organizer.getParameter("cn"), name.replace(/\r\n/g, " ").replaceAll('"', ""));
    assert.equal(organizer.getFirstValue(), "mailto:hana@example.org");
  }
  assert.equal(paramValue("plain"), "plain");
  assert.equal(paramValue("America/New_York"), "America/New_York");
  assert.equal(paramValue('a "b" ^'), '"a b ^^"');
  assert.equal(paramValue("x;y"), '"x;y"');
  assert.equal(paramValue('Eve"\r\nATTENDEE:mailto:x@evil.test'), '"Eve ATTENDEE:mailto:x@evil.test"');
});

Deno.test("ics: escapeText and foldLine at their edges", () => {
  assert.equal(escapeText("a\\b;c,d\ne\r\nf\rg\u0000h\ti"), "a\\\\b\\;c\\,d\\ne\\nfgh\ti");
  const ascii75 = "A".repeat(75);
  assert.equal(foldLine(ascii75), ascii75);
  assert.equal(foldLine(ascii75 + "B"), `${ascii75}\r\n B`);
  // 74 + 74 per continuation line (the leading space is the 75th octet).
  assert.equal(foldLine("C".repeat(75 + 74 + 1)), `${"C".repeat(75)}\r\n ${"C".repeat(74)}\r\n C`);
  // A 2-octet é that would straddle octet 75 moves to the next line whole; so does a 4-octet emoji.
  assert.equal(foldLine("D".repeat(74) + "é"), `${"D".repeat(74)}\r\n é`);
  assert.equal(foldLine("E".repeat(72) + "🎉"), `${"E".repeat(72)}\r\n 🎉`);
  assert.equal(foldLine("F".repeat(71) + "🎉"), "F".repeat(71) + "🎉");
  for (const line of HOSTILE.map((t) => `SUMMARY:${escapeText(t)}`)) {
    const folded = foldLine(line);
    assertWellFolded(folded + "\r\n");
    assert.equal(folded.replace(/\r\n /g, ""), line, "unfolding gives the line back");
  }
});

Deno.test("ics: the VTIMEZONE year span covers every meeting that expanding the series finds", () => {
  const rules = [
    null,
    "FREQ=DAILY;COUNT=1",
    "FREQ=DAILY;COUNT=30",
    "FREQ=DAILY;INTERVAL=3;COUNT=400",
    "FREQ=WEEKLY;COUNT=20",
    "FREQ=WEEKLY;INTERVAL=2;COUNT=52;BYDAY=MO,FR",
    "FREQ=WEEKLY;BYDAY=SU;COUNT=5;WKST=MO",
    "FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20281231T225959Z",
    "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=7",
    "FREQ=YEARLY;COUNT=4",
    "FREQ=DAILY;BYDAY=SA;COUNT=3",
  ];
  const starts = ["2027-01-01T00:30:00", "2027-06-15T09:00:00", "2027-12-31T23:30:00", "2027-12-26T10:00:00"];
  const zones = ["America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Australia/Sydney", "UTC"];
  for (const rrule of rules) {
    for (const startsAt of starts) {
      for (const timeZone of zones) {
        const series = { startsAt, timeZone, rrule };
        const { firstMs, lastMs } = seriesBounds(series);
        const [lo, hi] = seriesYearSpan(series);
        const what = JSON.stringify(series);
        // The span starts at DTSTART's year, which is the first meeting's or (a start that matches
        // none of BYDAY is skipped by ical.js) the year before.
        const first = new Date(firstMs).getUTCFullYear();
        assert.ok(lo <= first && lo >= first - 1, `${what}: span starts ${lo}, first meeting in ${first}`);
        const last = new Date(lastMs!).getUTCFullYear();
        assert.ok(hi >= last && hi <= last + 1, `${what}: span ends ${hi}, last meeting in ${last}`);
      }
    }
  }
});
