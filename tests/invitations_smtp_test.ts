// Invitations end to end through a real SMTP listener: create → update → cancel one occurrence →
// cancel the series; every message's text/calendar part is found with postal-mime and parsed with ical.js.

import type { Store } from "../lib/common/store.ts";
import assert from "node:assert/strict";
import ICAL from "ical.js";
import PostalMime from "postal-mime";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../lib/common/config.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";
import { createMailer } from "../lib/email/mod.ts";
import { setQuiet } from "../lib/common/log.ts";
import { cancelOccurrence, cancelSeries, changeSeries, scheduleMeeting } from "../lib/scheduling/service.ts";
import type { ServiceDeps } from "../lib/scheduling/service.ts";
import { UnverifiedOrganizer } from "../lib/scheduling/invitations.ts";

setQuiet(true);

/** A real SMTP server on 127.0.0.1 (free port) that keeps every message's raw source. */
async function startSmtp() {
  const received: { raw: string; to: string[] }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Uint8Array[] = [];
      stream.on("data", (c: Uint8Array) => chunks.push(c));
      stream.on("end", () => {
        const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        let at = 0;
        for (const c of chunks) {
          all.set(c, at);
          at += c.length;
        }
        received.push({ raw: new TextDecoder().decode(all), to: session.envelope.rcptTo.map((r) => r.address) });
        for (const w of waiters.filter((w) => received.length >= w.n)) w.resolve();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    received,
    /** Resolves once `n` messages in total have arrived (the mailer resolves on acceptance, so this is immediate). */
    count: (n: number) =>
      received.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface CalendarMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  mimeMethod: string | undefined;
  rawContentType: string;
  cal: ICAL.Component;
}

async function parseMail(raw: string): Promise<CalendarMail> {
  const parsed = await PostalMime.parse(raw);
  const part = parsed.attachments.find((a) => a.mimeType === "text/calendar");
  assert.ok(part, "the message has a text/calendar part");
  const content = typeof part.content === "string" ? part.content : new TextDecoder().decode(part.content);
  const rawContentType = /Content-Type: text\/calendar[^\r\n]*/i.exec(raw)?.[0] ?? "";
  return {
    to: parsed.to?.[0]?.address ?? "",
    subject: parsed.subject ?? "",
    text: parsed.text ?? "",
    html: parsed.html ?? "",
    mimeMethod: part.method,
    rawContentType,
    cal: new ICAL.Component(ICAL.parse(content)),
  };
}

function events(cal: ICAL.Component): ICAL.Component[] {
  return cal.getAllSubcomponents("vevent");
}

async function verifiedUser(kv: Store, name: string): Promise<User> {
  const u = await createUser(kv, { name, email: `${name.toLowerCase()}@example.org`, passwordHash: "x" });
  return (await updateUser(kv, u.id, () => ({ emailVerified: true, timeZone: "America/New_York" })))!;
}

Deno.test("invitations through real SMTP: REQUEST on create and update, CANCEL for one occurrence and the series", async () => {
  const smtp = await startSmtp();
  const kv = await Deno.openKv(":memory:");
  try {
    const config = loadConfig({
      TALKSPACE_ENV: "production",
      PUBLIC_URL: "https://meet.example.org",
      KV_PATH: ":memory:",
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      MAIL_FROM: "Talkspace <no-reply@meet.example.org>",
    });
    const deps: ServiceDeps = { kv, config, mailer: createMailer(config, kv) };
    const host = await verifiedUser(kv, "Olivia");

    // 1. Create: weekly Monday 09:00 New York, 10 meetings, two invitees.
    const created = await scheduleMeeting(deps, host, {
      title: "Design review",
      description: "Bring sketches",
      startsAt: "2027-03-01T09:00:00",
      timeZone: "America/New_York",
      durationMinutes: 45,
      rrule: "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
      invitees: ["ann@example.org", "bob@example.org"],
      settings: {},
    });
    assert.deepEqual(created.delivery, { sent: ["ann@example.org", "bob@example.org"], failed: [] });
    await smtp.count(2);
    const invite = await parseMail(smtp.received[0].raw);
    assert.equal(invite.to, "ann@example.org");
    assert.match(invite.subject, /^Invitation: Design review/);
    assert.equal(invite.mimeMethod, "REQUEST", "method parameter on the MIME part");
    assert.match(invite.rawContentType, /method=REQUEST/i);
    assert.equal(invite.cal.getFirstPropertyValue("method"), "REQUEST");
    const [master] = events(invite.cal);
    const uid = String(master.getFirstPropertyValue("uid"));
    assert.equal(uid, created.schedule.uid);
    assert.equal(master.getFirstPropertyValue("sequence"), 0);
    assert.equal(String(master.getFirstPropertyValue("organizer")), "mailto:olivia@example.org");
    const attendees = master.getAllProperties("attendee").map((p) => String(p.getFirstValue()));
    assert.deepEqual(attendees, ["mailto:ann@example.org", "mailto:bob@example.org"]);
    assert.equal(master.getFirstProperty("dtstart")!.getParameter("tzid"), "America/New_York");
    assert.ok(invite.cal.getFirstSubcomponent("vtimezone"), "the zone travels with the invitation");
    // Join details in both the email and the event; without SIP_DOMAIN the SIP line uses PUBLIC_URL's
    // host; no dial-in number without SIP_DID_NUMBER.
    const m = created.meeting;
    for (const text of [invite.text, String(master.getFirstPropertyValue("description"))]) {
      assert.ok(text.includes(`https://meet.example.org/m/${m.meetingId}?pwd=`), "join link");
      assert.ok(text.includes(`Passcode: ${m.passcode}`));
      assert.ok(text.includes(m.meetingId.slice(0, 3) + " "), "meeting ID");
      assert.ok(text.includes(`sip:${m.meetingId}*${m.passcode}@meet.example.org`), "SIP line on PUBLIC_URL's host");
      assert.ok(!text.includes("Dial in by phone"), "no dial-in number when SIP_DID_NUMBER is not configured");
    }
    assert.match(invite.text, /https:\/\/meet\.example\.org\/rsvp\/\d{10}-[\w-]+\?answer=accept/);
    const bobInvite = await parseMail(smtp.received[1].raw);
    assert.equal(bobInvite.to, "bob@example.org");
    assert.notEqual(
      /rsvp\/([^?]+)/.exec(invite.text)![1],
      /rsvp\/([^?]+)/.exec(bobInvite.text)![1],
      "each invitee gets their own RSVP link",
    );

    // 2. Update: new title, carol added, bob removed.
    const changed = await changeSeries(deps, m.meetingId, {
      title: "Design review (moved room)",
      invitees: ["ann@example.org", "carol@example.org"],
    });
    assert.equal(changed.schedule.sequence, 1);
    await smtp.count(5);
    const after = await Promise.all(smtp.received.slice(2, 5).map((r) => parseMail(r.raw)));
    const byTo = new Map(after.map((x) => [x.to, x]));
    const annUpdate = byTo.get("ann@example.org")!;
    assert.match(annUpdate.subject, /^Updated invitation: Design review \(moved room\)/);
    assert.equal(annUpdate.mimeMethod, "REQUEST");
    assert.equal(events(annUpdate.cal)[0].getFirstPropertyValue("uid"), uid, "same UID on update");
    assert.equal(events(annUpdate.cal)[0].getFirstPropertyValue("sequence"), 1, "SEQUENCE raised");
    assert.equal(byTo.get("carol@example.org")!.cal.getFirstPropertyValue("method"), "REQUEST");
    const bobCancel = byTo.get("bob@example.org")!;
    assert.equal(bobCancel.mimeMethod, "CANCEL");
    assert.equal(bobCancel.cal.getFirstPropertyValue("method"), "CANCEL");
    assert.equal(events(bobCancel.cal)[0].getFirstPropertyValue("uid"), uid);
    assert.deepEqual(
      events(bobCancel.cal)[0].getAllProperties("attendee").map((p) => String(p.getFirstValue())),
      ["mailto:bob@example.org"],
      "a removed invitee is told only about themself",
    );

    // 3. Cancel one occurrence (the second Monday, the day after DST starts on 14 March 2027).
    const one = await cancelOccurrence(deps, m.meetingId, "2027-03-15T09:00:00");
    assert.equal(one.schedule.sequence, 2);
    await smtp.count(7);
    for (const r of smtp.received.slice(5, 7)) {
      const mail = await parseMail(r.raw);
      assert.equal(mail.mimeMethod, "CANCEL");
      assert.equal(mail.cal.getFirstPropertyValue("method"), "CANCEL");
      const [ev] = events(mail.cal);
      assert.equal(ev.getFirstPropertyValue("uid"), uid);
      assert.equal(ev.getFirstPropertyValue("sequence"), 2);
      assert.equal(ev.getFirstPropertyValue("status"), "CANCELLED");
      const rid = ev.getFirstProperty("recurrence-id")!;
      assert.equal(rid.getParameter("tzid"), "America/New_York");
      assert.equal(String(rid.getFirstValue()), "2027-03-15T09:00:00");
      assert.ok(!ev.hasProperty("rrule"), "an occurrence cancellation carries no RRULE");
    }

    // 4. Cancel the series.
    const all = await cancelSeries(deps, m.meetingId);
    assert.equal(all.schedule.sequence, 3);
    await smtp.count(9);
    const recipients: string[] = [];
    for (const r of smtp.received.slice(7, 9)) {
      const mail = await parseMail(r.raw);
      recipients.push(mail.to);
      assert.equal(mail.mimeMethod, "CANCEL");
      assert.match(mail.subject, /^Cancelled: /);
      const [ev] = events(mail.cal);
      assert.equal(ev.getFirstPropertyValue("uid"), uid);
      assert.equal(ev.getFirstPropertyValue("sequence"), 3);
      assert.equal(ev.getFirstPropertyValue("status"), "CANCELLED");
      assert.ok(!ev.hasProperty("recurrence-id"), "the whole series");
    }
    assert.deepEqual(recipients.sort(), ["ann@example.org", "carol@example.org"]);
    assert.equal(smtp.received.length, 9, "nothing else was sent");
  } finally {
    kv.close();
    await smtp.close();
  }
});

Deno.test("invitations include the SIP and dial-in lines when SIP_DOMAIN / SIP_DID_NUMBER are configured; unverified organizers send nothing", async () => {
  const smtp = await startSmtp();
  const kv = await Deno.openKv(":memory:");
  try {
    const base = loadConfig({
      TALKSPACE_ENV: "production",
      PUBLIC_URL: "https://meet.example.org",
      KV_PATH: ":memory:",
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      SIP_DOMAIN: "sip.example.org",
      SIP_DID_NUMBER: "+1 555 0100",
    });
    const config = base;
    const deps: ServiceDeps = { kv, config, mailer: createMailer(config, kv) };
    const host = await verifiedUser(kv, "Sam");
    const { meeting } = await scheduleMeeting(deps, host, {
      title: "Standup",
      description: "",
      startsAt: "2027-05-03T10:00:00",
      timeZone: "Europe/Berlin",
      durationMinutes: 15,
      rrule: null,
      invitees: ["dee@example.org"],
      settings: {},
    });
    await smtp.count(1);
    const mail = await parseMail(smtp.received[0].raw);
    assert.ok(mail.text.includes(`sip:${meeting.meetingId}*${meeting.passcode}@sip.example.org`));
    assert.ok(mail.text.includes("Dial in by phone: +1 555 0100"), mail.text);
    assert.ok(mail.text.includes(`passcode ${meeting.passcode} #`), mail.text);

    const unverified = await createUser(kv, { name: "Una", email: "una@example.org", passwordHash: "x" });
    await assert.rejects(
      scheduleMeeting(deps, unverified, {
        title: "Nope",
        description: "",
        startsAt: "2027-05-03T10:00:00",
        timeZone: "UTC",
        durationMinutes: 15,
        rrule: null,
        invitees: ["eve@example.org"],
        settings: {},
      }),
      UnverifiedOrganizer,
    );
    let schedules = 0;
    for await (const _ of kv.list({ prefix: ["meeting_schedules"] })) schedules++;
    assert.equal(schedules, 1, "nothing saved for the unverified organizer");
    assert.equal(smtp.received.length, 1, "nothing sent for the unverified organizer");
  } finally {
    kv.close();
    await smtp.close();
  }
});

Deno.test("an invitee whose account speaks German is invited in German (subject, text, HTML, .ics DESCRIPTION); others in the host's language", async () => {
  const smtp = await startSmtp();
  const kv = await Deno.openKv(":memory:");
  try {
    const config = loadConfig({
      TALKSPACE_ENV: "production",
      PUBLIC_URL: "https://meet.example.org",
      KV_PATH: ":memory:",
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      SIP_DID_NUMBER: "+49 30 1234567",
    });
    const deps: ServiceDeps = { kv, config, mailer: createMailer(config, kv) };
    const host = (await updateUser(kv, (await verifiedUser(kv, "Olivia")).id, () => ({ locale: "es" })))!;
    const dora = await verifiedUser(kv, "Dora");
    await updateUser(kv, dora.id, () => ({ locale: "de" }));
    // An account that never confirmed the address does not choose the language of mail to it.
    const eve = await createUser(kv, { name: "Eve", email: "eve@example.org", passwordHash: "x" });
    await updateUser(kv, eve.id, () => ({ locale: "ar" }));

    const { meeting } = await scheduleMeeting(deps, host, {
      title: "Design review",
      description: "Bring sketches",
      startsAt: "2027-03-01T09:00:00",
      timeZone: "America/New_York",
      durationMinutes: 45,
      rrule: null,
      invitees: ["dora@example.org", "eve@example.org"],
      settings: {},
    });
    await smtp.count(2);
    const [de, es] = await Promise.all(smtp.received.map((r) => parseMail(r.raw)));
    assert.equal(de.to, "dora@example.org");
    assert.equal(de.subject, "Einladung: Design review — Montag, 1. März 2027 um 09:00 (America/New_York)");
    assert.ok(de.text.startsWith("Olivia (olivia@example.org) lädt Sie zu „Design review“ ein.\n"), de.text);
    for (
      const line of ["Dauer: 45 Minuten", `Kenncode: ${meeting.passcode}`, "Teilnehmen: https://meet.example.org/m/"]
    ) {
      assert.ok(de.text.includes(line), `${line} in ${de.text}`);
    }
    assert.ok(de.text.includes(`Telefonische Einwahl: +49 30 1234567 (Meeting-ID `), de.text);
    assert.match(de.text, /\nZusagen: https:\/\/meet\.example\.org\/rsvp\/\S+\?answer=accept\nAbsagen: /);
    assert.ok(!de.text.includes("Does not repeat"), `the recurrence in German too: ${de.text}`);
    assert.match(de.html, /^<div lang="de" dir="ltr">/);
    assert.ok(de.html.includes("lädt Sie zu „<strong>Design review</strong>“ ein."), de.html);
    assert.ok(de.html.includes(">Am Meeting teilnehmen</a>"), de.html);

    // The .ics is valid (ical.js parses it) and its join text is German; SUMMARY stays the title.
    assert.equal(de.cal.getFirstPropertyValue("method"), "REQUEST");
    const [ev] = events(de.cal);
    assert.equal(ev.getFirstPropertyValue("summary"), "Design review");
    const description = String(ev.getFirstPropertyValue("description"));
    assert.ok(description.startsWith("Teilnehmen: https://meet.example.org/m/"), description);
    assert.ok(description.includes(`\nKenncode: ${meeting.passcode}\n`), description);
    assert.ok(description.includes("\nEinwahl über ein SIP-Raumsystem: sip:"), description);
    assert.ok(description.endsWith("\n\nBring sketches"), description);
    const event = new ICAL.Event(ev);
    assert.equal(event.startDate.toJSDate().toISOString(), "2027-03-01T14:00:00.000Z");

    // Eve's address is not a confirmed account's: she is written to in the host's language (Spanish).
    assert.equal(es.to, "eve@example.org");
    assert.equal(es.subject, "Invitación: Design review — lunes, 1 de marzo de 2027, 9:00 (America/New_York)");
    assert.ok(es.text.startsWith("Olivia (olivia@example.org) te invita a «Design review».\n"), es.text);
    assert.ok(String(events(es.cal)[0].getFirstPropertyValue("description")).startsWith("Unirse: https://"));
    assert.match(es.html, /^<div lang="es" dir="ltr">/);

    // A cancellation speaks the same language as the invitation.
    await cancelSeries(deps, meeting.meetingId);
    await smtp.count(4);
    const cancels = new Map(
      (await Promise.all(smtp.received.slice(2).map((r) => parseMail(r.raw)))).map((m) => [m.to, m]),
    );
    const deCancel = cancels.get("dora@example.org")!;
    assert.equal(deCancel.subject, "Abgesagt: Design review — Montag, 1. März 2027 um 09:00 (America/New_York)");
    assert.ok(
      deCancel.text.startsWith(
        "Olivia hat „Design review“ am Montag, 1. März 2027 um 09:00 (America/New_York) abgesagt.",
      ),
    );
    assert.equal(deCancel.cal.getFirstPropertyValue("method"), "CANCEL");
    assert.match(cancels.get("eve@example.org")!.subject, /^Cancelada: Design review/);
  } finally {
    kv.close();
    await smtp.close();
  }
});
