// Hostile titles, descriptions and names through the real app (sign-up form, scheduling form and API)
// out to everything that writes them: iMIP invitations, updates and cancellations over a real SMTP
// listener, the personal feed (/calendar/…) and the single download (/meetings/:id/invite.ics).
// Each calendar is read back by ical.js (an independent parser) and by a strict line check that
// splits on CR, LF and CRLF alike; each mail's headers and text body are checked line by line.

import assert from "node:assert/strict";
import ICAL from "ical.js";
import PostalMime from "postal-mime";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../lib/common/config.ts";
import { isMessageKey, translator } from "../lib/i18n/translate.ts";
import { english } from "../lib/i18n/message.ts";
import { createWebApp } from "../routes/mod.ts";
import { createMailer } from "../lib/email/mod.ts";
import { loadSigningKey } from "../lib/common/server_secret.ts";
import { createUser, getUserByEmail, updateUser } from "../lib/accounts/users.ts";
import { cancelSeries, scheduleMeeting } from "../lib/scheduling/service.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { ensureFeed } from "../lib/scheduling/feed.ts";
import { escapeText } from "../lib/scheduling/ics.ts";
import { descriptionRule, titleRule } from "../lib/scheduling/validation.ts";
import { rules } from "../lib/web/validate.ts";
import { nameRule } from "../lib/web/join_pages.tsx";
import { dialOutSchema, renameSchema } from "../lib/contracts/meeting_socket.ts";
import { callBody } from "../lib/contracts/sip_api.ts";
import { dialOutBody } from "../lib/contracts/gateway_api.ts";
import { setQuiet } from "../lib/common/log.ts";
import { TestClient } from "./support/app.ts";
import { poll } from "./support/wait.ts";

setQuiet(true);

// ---- the hostile input and what it must become ----

const HOST_NAME = 'Hana\r\nATTENDEE;CN="Evil":mailto:evil@evil.test\u202e "Host"\u0000';
/** cleanLine + trim, written out by hand: line breaks are spaces, NUL and U+202E gone. */
const HOST_NAME_CLEAN = 'Hana ATTENDEE;CN="Evil":mailto:evil@evil.test "Host"';

const TITLE_API =
  'Weekly\r\nATTENDEE;CN=Evil:mailto:evil@evil.test\rX-INJECTED:1\nEND:VEVENT ; , \\ " \u0000 \u202egnp.exe \ud800 end';
const TITLE_API_CLEAN = 'Weekly ATTENDEE;CN=Evil:mailto:evil@evil.test X-INJECTED:1 END:VEVENT ; , \\ "  gnp.exe  end';
const TITLE_API_2 = "\r\n  Moved\rBEGIN:VALARM\u2028TRIGGER:-PT1M  " + "日本語🎉".repeat(30);
const TITLE_API_2_CLEAN = "Moved BEGIN:VALARM TRIGGER:-PT1M  " + "日本語🎉".repeat(30);
const TITLE_FORM = "Form\r\nATTENDEE:mailto:evil@evil.test" + "é日🎉".repeat(40);
const TITLE_FORM_CLEAN = "Form ATTENDEE:mailto:evil@evil.test" + "é日🎉".repeat(40);

const DESCRIPTION = 'Agenda\r\nATTENDEE:mailto:evil@evil.test\rBEGIN:VALARM\n; , \\ " \\n\u0000\u202e\ud800 ' +
  "ü".repeat(120) + "\u2029" + "🎉".repeat(50);
const DESCRIPTION_CLEAN = 'Agenda\nATTENDEE:mailto:evil@evil.test\nBEGIN:VALARM\n; , \\ " \\n ' + "ü".repeat(120) +
  "\n" + "🎉".repeat(50);

/** A form post cannot carry a lone surrogate (URL encoding makes it U+FFFD, as a browser would), so the form's has none. */
const DESCRIPTION_FORM = DESCRIPTION.replace("\ud800", "");

/** Every property name our writer puts at the start of a line (VCALENDAR, VTIMEZONE, VEVENT). */
const OUR_PROPERTIES = new Set([
  "BEGIN",
  "END",
  "PRODID",
  "VERSION",
  "CALSCALE",
  "METHOD",
  "X-WR-CALNAME",
  "TZID",
  "TZNAME",
  "TZOFFSETFROM",
  "TZOFFSETTO",
  "DTSTART",
  "DTEND",
  "UID",
  "DTSTAMP",
  "SEQUENCE",
  "SUMMARY",
  "DESCRIPTION",
  "LOCATION",
  "URL",
  "STATUS",
  "ORGANIZER",
  "ATTENDEE",
  "RRULE",
  "EXDATE",
  "RECURRENCE-ID",
]);
// deno-lint-ignore no-control-regex -- finding control characters is the point
const CONTROL_OR_BREAK = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]/;
const OUR_COMPONENTS = new Set(["VCALENDAR", "VTIMEZONE", "STANDARD", "DAYLIGHT", "VEVENT"]);

/**
 * The strict line check: whichever of CR, LF or CRLF a reader ends lines at, it sees the same lines
 * (no bare CR or LF anywhere), each a folded continuation or one of our properties, with exactly
 * `attendees` ATTENDEE lines per VEVENT and one SUMMARY; no physical line over 75 octets.
 */
function assertStrictLines(ics: string, attendees: number, what: string) {
  assert.doesNotMatch(ics, /\r(?!\n)/, `${what}: a bare CR`);
  assert.doesNotMatch(ics, /(?<!\r)\n/, `${what}: a bare LF`);
  for (const separator of [/\r\n/, /\r/, /\n/]) {
    const lines = ics.split(separator).map((l) => l.replace(/^[\r\n]|[\r\n]$/g, "")).filter((l) => l !== "");
    let inEvent = false;
    let eventAttendees = 0;
    let eventSummaries = 0;
    for (const line of lines) {
      assert.ok(new TextEncoder().encode(line).length <= 75, `${what}: over 75 octets: ${JSON.stringify(line)}`);
      assert.doesNotMatch(line, CONTROL_OR_BREAK, `${what}: control in ${JSON.stringify(line)}`);
      if (line.startsWith(" ")) continue;
      const name = /^([A-Za-z0-9-]+)[;:]/.exec(line)?.[1]?.toUpperCase();
      assert.ok(name && OUR_PROPERTIES.has(name), `${what}: a line we did not write: ${JSON.stringify(line)}`);
      if (name === "BEGIN" || name === "END") {
        assert.ok(OUR_COMPONENTS.has(line.slice(name.length + 1)), `${what}: component ${JSON.stringify(line)}`);
      }
      if (line === "BEGIN:VEVENT") [inEvent, eventAttendees, eventSummaries] = [true, 0, 0];
      if (name === "ATTENDEE") eventAttendees++;
      if (name === "SUMMARY") eventSummaries++;
      if (line === "END:VEVENT") {
        assert.ok(inEvent);
        assert.equal(eventAttendees, attendees, `${what}: ATTENDEE lines in a VEVENT`);
        assert.equal(eventSummaries, 1, `${what}: SUMMARY lines in a VEVENT`);
        inEvent = false;
      }
    }
  }
}

/** ical.js's reading: every VEVENT's SUMMARY, the ORGANIZER CN, and the ATTENDEE addresses. */
function readCalendar(ics: string) {
  const cal = new ICAL.Component(ICAL.parse(ics));
  const events = cal.getAllSubcomponents("vevent");
  assert.ok(events.length >= 1);
  return {
    method: String(cal.getFirstPropertyValue("method")),
    name: cal.getFirstPropertyValue("x-wr-calname"),
    events: events.map((ev) => ({
      summary: String(ev.getFirstPropertyValue("summary")),
      description: ev.getFirstPropertyValue("description") as string | null,
      cn: ev.getFirstProperty("organizer")?.getParameter("cn") ?? null,
      attendees: ev.getAllProperties("attendee").map((p) => String(p.getFirstValue())),
      propertyNames: ev.getAllProperties().map((p) => p.name),
    })),
  };
}

// ---- a real SMTP listener and the app wired to it ----

async function startSmtp() {
  const received: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", () => {
        received.push(new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))));
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

interface Mail {
  raw: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  headerNames: string[];
  /** The text/calendar alternative, then the .ics attachment, each decoded byte-exact from the wire. */
  calendars: string[];
  calendar: string;
}

/**
 * The calendar parts as sent, decoded here rather than by postal-mime (which turns every CRLF of a text
 * part into LF, hiding exactly what the strict line check looks for): quoted-printable and base64.
 */
function wireCalendars(raw: string): string[] {
  const out: string[] = [];
  const re =
    /Content-Type: (?:text\/calendar|application\/ics)[^]*?Content-Transfer-Encoding: (\S+)\r\n\r\n([^]*?)\r\n--/g;
  for (const [, encoding, body] of raw.matchAll(re)) {
    let bytes: Uint8Array;
    if (encoding.toLowerCase() === "base64") {
      bytes = Uint8Array.from(atob(body.replace(/\s/g, "")), (ch) => ch.charCodeAt(0));
    } else {
      assert.equal(encoding.toLowerCase(), "quoted-printable");
      const soft = body.replace(/=\r\n/g, "");
      const parts: number[] = [];
      for (let i = 0; i < soft.length; i++) {
        if (soft[i] === "=") {
          parts.push(parseInt(soft.slice(i + 1, i + 3), 16));
          i += 2;
        } else parts.push(soft.charCodeAt(i));
      }
      bytes = Uint8Array.from(parts);
    }
    out.push(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  }
  return out;
}

async function parseMail(raw: string): Promise<Mail> {
  const parsed = await PostalMime.parse(raw);
  const head = raw.slice(0, raw.indexOf("\r\n\r\n")).replace(/\r\n[ \t]/g, " ");
  const calendars = wireCalendars(raw);
  assert.equal(calendars.length, 2, "a text/calendar alternative and an .ics attachment");
  assert.equal(calendars[0], calendars[1], "both calendar parts say the same");
  return {
    raw,
    to: parsed.to?.[0]?.address ?? "",
    subject: parsed.subject ?? "",
    text: parsed.text ?? "",
    html: parsed.html ?? "",
    headerNames: head.split("\r\n").map((h) => h.slice(0, h.indexOf(":")).toLowerCase()),
    calendars,
    calendar: calendars[0],
  };
}

/** The one mail whose subject starts with `prefix` to `to` (waits for it; the mailer resolves on acceptance). */
async function mailTo(received: string[], to: string, prefix: string): Promise<Mail> {
  return await poll(
    `a "${prefix}" mail to ${to}`,
    async () => {
      const mails = await Promise.all(received.map(parseMail));
      const found = mails.filter((m) => m.to === to && m.subject.startsWith(prefix));
      assert.ok(found.length <= 1, `more than one "${prefix}" mail to ${to}`);
      return found[0];
    },
    10_000,
    20,
  );
}

/** Mail checks: one Subject, no header we did not write, no text line that a title or name smuggled in. */
function assertMail(m: Mail, title: string, what: string) {
  assert.deepEqual(m.headerNames.filter((n) => n === "subject"), ["subject"], `${what}: one Subject`);
  for (const bad of ["bcc", "x-injected", "attendee", "begin"]) {
    assert.ok(!m.headerNames.includes(bad), `${what}: header ${bad}`);
  }
  assert.ok(m.subject.includes(title), `${what}: subject ${JSON.stringify(m.subject)} holds the cleaned title`);
  // deno-lint-ignore no-control-regex -- a control character in a subject is the finding
  assert.doesNotMatch(m.subject, /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/, `${what}: subject`);
  const lines = m.text.split(/\r\n|\r|\n/);
  // The first line names host and title on one line; what they smuggled never starts a line of its own.
  assert.ok(lines[0].startsWith(HOST_NAME_CLEAN), `${what}: first line ${JSON.stringify(lines[0])}`);
  assert.ok(lines[0].includes(`"${title}"`), `${what}: first line ${JSON.stringify(lines[0])}`);
  for (const line of lines.slice(1)) {
    for (const start of ["X-INJECTED", "END:VEVENT", "TRIGGER", "ATTENDEE;CN="]) {
      assert.ok(!line.startsWith(start), `${what}: text line ${JSON.stringify(line)}`);
    }
  }
  assert.ok(m.html.includes(title.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;")));
}

Deno.test("hostile titles, descriptions and names: iMIP over SMTP, the feed and the download parse back clean", async () => {
  const smtp = await startSmtp();
  const config = loadConfig({
    TALKSPACE_ENV: "test",
    PUBLIC_URL: "http://localhost:8000",
    KV_PATH: ":memory:",
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: "Talkspace <no-reply@localhost>",
  });
  const kv = await Deno.openKv(":memory:");
  try {
    const app = createWebApp({
      kv,
      config,
      mailer: createMailer(config, kv),
      signingKey: await loadSigningKey(kv, ""),
      gateway: null,
    });
    const host = new TestClient(app, new URL(config.publicUrl).origin);

    // The host signs up through the form with a hostile name (rules.name cleans it).
    const signup = await host.postForm("/signup", {
      name: HOST_NAME,
      email: "hana@example.org",
      password: "correct horse battery staple",
    });
    await signup.body?.cancel();
    assert.equal(signup.status, 303);
    const stored = (await getUserByEmail(kv, "hana@example.org"))!;
    assert.equal(stored.name, HOST_NAME_CLEAN, "the account name is stored cleaned");
    await updateUser(kv, stored.id, () => ({ emailVerified: true }));
    host.cookies.set("ts_session", (await createSession(kv, stored.id, "full")).token);

    // 1. Scheduled through the API: title and description hostile, two invitees.
    const created = await host.sendJson("POST", "/api/v1/meetings", {
      title: TITLE_API,
      description: DESCRIPTION,
      startsAt: "2027-03-01T09:00:00",
      timeZone: "America/New_York",
      durationMinutes: 45,
      recurrence: "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
      invitees: ["ann@example.org", "bob@example.org"],
    });
    assert.equal(created.status, 201, await created.clone().text());
    const { meetingId } = await created.json();

    for (const to of ["ann@example.org", "bob@example.org"]) {
      const mail = await mailTo(smtp.received, to, "Invitation:");
      assertMail(mail, TITLE_API_CLEAN, `invitation to ${to}`);
      assertStrictLines(mail.calendar, 2, `invitation to ${to}`);
      const cal = readCalendar(mail.calendar);
      assert.equal(cal.method, "REQUEST");
      for (const ev of cal.events) {
        assert.equal(ev.summary, TITLE_API_CLEAN);
        assert.ok(ev.description?.endsWith(`\n\n${DESCRIPTION_CLEAN}`), JSON.stringify(ev.description));
        assert.equal(ev.cn, HOST_NAME_CLEAN.replaceAll('"', ""), "CN is one line without DQUOTE");
        assert.deepEqual(ev.attendees, ["mailto:ann@example.org", "mailto:bob@example.org"]);
        assert.equal(ev.propertyNames.filter((n) => n === "attendee").length, 2);
        assert.ok(!ev.propertyNames.includes("x-injected"));
      }
      assert.equal(new ICAL.Component(ICAL.parse(mail.calendar)).getAllSubcomponents("valarm").length, 0);
    }

    // 2. Updated through the API with another hostile title; bob is removed (he gets a CANCEL).
    const patched = await host.sendJson("PATCH", `/api/v1/meetings/${meetingId}`, {
      title: TITLE_API_2,
      invitees: ["ann@example.org"],
    });
    assert.equal(patched.status, 200, await patched.clone().text());
    await patched.body?.cancel();
    const update = await mailTo(smtp.received, "ann@example.org", "Updated invitation:");
    assertMail(update, TITLE_API_2_CLEAN, "update");
    assertStrictLines(update.calendar, 1, "update");
    for (const ev of readCalendar(update.calendar).events) assert.equal(ev.summary, TITLE_API_2_CLEAN);
    const removed = await mailTo(smtp.received, "bob@example.org", "Cancelled:");
    assert.ok(removed.subject.includes(TITLE_API_2_CLEAN));
    assert.ok(removed.text.split(/\r\n|\r|\n/)[0].startsWith(`${HOST_NAME_CLEAN} removed you from`));
    assertStrictLines(removed.calendar, 1, "removal");
    const cancelCal = readCalendar(removed.calendar);
    assert.equal(cancelCal.method, "CANCEL");
    assert.equal(cancelCal.events[0].summary, TITLE_API_2_CLEAN);

    // 3. Scheduled through the web form with a hostile title and description.
    const form = await host.postForm("/meetings/new", {
      title: TITLE_FORM,
      description: DESCRIPTION_FORM,
      date: "2027-04-05",
      time: "10:00",
      timeZone: "Europe/Berlin",
      duration: "30",
      repeat: "none",
      ends: "until",
      invitees: "carol@example.org",
    });
    await form.body?.cancel();
    assert.equal(form.status, 303, "the form schedules the meeting");
    const formMeetingId = /\/meetings\/([^/]+)\/schedule/.exec(form.headers.get("location") ?? "")![1];
    const formMail = await mailTo(smtp.received, "carol@example.org", "Invitation:");
    assertMail(formMail, TITLE_FORM_CLEAN, "form invitation");
    assertStrictLines(formMail.calendar, 1, "form invitation");
    assert.equal(readCalendar(formMail.calendar).events[0].summary, TITLE_FORM_CLEAN);

    // 4. The personal feed holds both series; 5. each single download holds its own.
    const feed = await ensureFeed(kv, stored.id);
    const feedRes = await host.get(`/calendar/${feed.token}.ics`);
    assert.equal(feedRes.status, 200);
    const feedText = await feedRes.text();
    assertStrictLines(feedText, 0, "feed");
    const feedCal = readCalendar(feedText);
    assert.equal(feedCal.method, "PUBLISH");
    assert.deepEqual(
      [...new Set(feedCal.events.map((e) => e.summary))].sort(),
      [TITLE_API_2_CLEAN, TITLE_FORM_CLEAN].sort(),
    );
    for (const ev of feedCal.events) assert.equal(ev.cn, HOST_NAME_CLEAN.replaceAll('"', ""));

    for (const [id, title] of [[meetingId, TITLE_API_2_CLEAN], [formMeetingId, TITLE_FORM_CLEAN]]) {
      const res = await host.get(`/meetings/${id}/invite.ics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assertStrictLines(text, 0, `download of ${id}`);
      const cal = readCalendar(text);
      assert.equal(cal.name, title, "X-WR-CALNAME is the cleaned title");
      for (const ev of cal.events) {
        assert.equal(ev.summary, title);
        assert.ok(ev.description?.endsWith(`\n\n${DESCRIPTION_CLEAN}`), JSON.stringify(ev.description));
      }
    }
  } finally {
    kv.close();
    await smtp.close();
  }
});

Deno.test("text stored before the input rules (not cleaned) still goes out clean: mail headers, bodies and calendar lines", async () => {
  const smtp = await startSmtp();
  const config = loadConfig({
    TALKSPACE_ENV: "test",
    PUBLIC_URL: "http://localhost:8000",
    KV_PATH: ":memory:",
    SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
    MAIL_FROM: "Talkspace <no-reply@localhost>",
  });
  const kv = await Deno.openKv(":memory:");
  try {
    // Straight into the domain, past every schema, as an older install's data would be.
    const user = await createUser(kv, { name: HOST_NAME, email: "hana@example.org", passwordHash: "x" });
    const host = (await updateUser(kv, user.id, () => ({ emailVerified: true })))!;
    const deps = { kv, config, mailer: createMailer(config, kv) };
    const { meeting } = await scheduleMeeting(deps, host, {
      title: TITLE_API,
      description: DESCRIPTION,
      startsAt: "2027-03-01T09:00:00",
      timeZone: "America/New_York",
      durationMinutes: 30,
      rrule: null,
      invitees: ["ann@example.org"],
      settings: {},
    });
    const invite = await mailTo(smtp.received, "ann@example.org", "Invitation:");
    assertMail(invite, TITLE_API_CLEAN, "invitation of stored text");
    assertStrictLines(invite.calendar, 1, "invitation of stored text");
    const ev = readCalendar(invite.calendar).events[0];
    assert.equal(ev.cn, HOST_NAME_CLEAN.replaceAll('"', ""), "CN is one line without DQUOTE");
    assert.deepEqual(ev.attendees, ["mailto:ann@example.org"]);
    await cancelSeries(deps, meeting.meetingId);
    const cancel = await mailTo(smtp.received, "ann@example.org", "Cancelled:");
    assert.ok(cancel.subject.includes(TITLE_API_CLEAN), cancel.subject);
    assert.ok(cancel.text.split(/\r\n|\r|\n/)[0].startsWith(`${HOST_NAME_CLEAN} cancelled`), cancel.text);
    assertStrictLines(cancel.calendar, 1, "cancellation of stored text");
  } finally {
    kv.close();
    await smtp.close();
  }
});

Deno.test("every one-line field's schema cleans on input; descriptions keep LF only", () => {
  const hostile = "  Eve\r\n\u202eATTENDEE\u0000:x\ud800\u2066  ";
  const clean = "Eve ATTENDEE:x";
  assert.equal(titleRule.parse(hostile), clean);
  assert.equal(rules.name.parse(hostile), clean);
  assert.equal(nameRule.parse(hostile), clean);
  assert.equal(renameSchema.parse({ type: "rename", participantId: "p1", name: hostile }).name, clean);
  assert.equal(dialOutSchema.parse({ type: "dial-out", target: "+15551234567", name: hostile }).name.trim(), clean);
  const call = callBody.parse({ meetingId: "1234567890", callId: "c1", displayName: hostile, number: "+1\r\n555" });
  assert.equal(call.displayName.trim(), clean, "a phone caller's name (from SIP From) is cleaned");
  assert.equal(call.number, "+1 555");
  assert.equal(dialOutBody.parse({ target: "+15551234567", displayName: hostile }).displayName.trim(), clean);
  assert.equal(descriptionRule.parse(DESCRIPTION), DESCRIPTION_CLEAN);
  // A title that is nothing but hidden characters is empty, and said so.
  // The rules' messages are message keys the pages translate and the API says in English.
  assert.equal(
    english(titleRule.safeParse("\r\n\u202e\u0000").error?.issues[0].message ?? ""),
    "Give the meeting a title",
  );
  // The account rules' messages are message keys the pages translate (English: "Enter your name").
  const nameError = rules.name.safeParse("\u2066\u2069").error?.issues[0].message ?? "";
  assert.ok(isMessageKey(nameError), nameError);
  assert.equal(translator("en")(nameError), "Enter your name");
});

Deno.test("escapeText: no value can end its line, whatever it holds", () => {
  assert.equal(escapeText("a\r\nb\rc\nd\u0085e\u0000f\ud800g\u2028h\u2029i\u009bj"), "a\\nbc\\nd\\nefg\\nh\\nij");
  assert.equal(escapeText("; , \\ \\n"), "\\; \\, \\\\ \\\\n");
});
