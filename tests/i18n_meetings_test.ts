// The meeting pages in the page's language, through the real web app: the dashboard, the schedule
// form (and its field errors), a series' schedule page with the recurrence in words, the meetings
// history, a join refusal, the 404 page and the invitation answer page, in German, Spanish and
// Arabic (right to left), with dates by Intl in the language; the API still answers in English.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import type { TestApp } from "./support/app.ts";
import { createUser, updateUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";
import { createMeeting, updateMeeting } from "../lib/meetings/store.ts";
import { type Admission, writeBlocks } from "../lib/meetings/join.ts";

const langOf = (html: string) => /<html lang="([^"]+)"(?: dir="([^"]+)")?/.exec(html)?.slice(1, 3);

async function person(t: TestApp, name: string, timeZone = "Europe/Berlin") {
  const u = await createUser(t.kv, { name, email: `${name.toLowerCase()}@example.org`, passwordHash: "x" });
  const user = (await updateUser(t.kv, u.id, () => ({ emailVerified: true, timeZone })))!;
  const client = t.client();
  client.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
  return { user, client };
}

async function page(res: Response, status = 200): Promise<string> {
  const html = await res.text();
  assert.equal(res.status, status, html.slice(0, 2000));
  return html;
}

/** A calendar date `days` from now in Berlin, as the form's date field takes it. */
function berlinDate(days: number): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Berlin" }).format(
    new Date(Date.now() + days * 86_400_000),
  );
}

const form = (o: Record<string, string> = {}) => ({
  title: "Teamrunde",
  date: "2027-03-02",
  time: "09:00",
  timeZone: "Europe/Berlin",
  duration: "30",
  repeat: "weekly",
  ends: "never",
  invitees: "pia@example.org",
  ...o,
});

Deno.test("the dashboard in German: headings, states and actions, dates with German weekdays", async () => {
  const t = await makeTestApp();
  try {
    const { client } = await person(t, "Ada");
    const de = { "accept-language": "de" };
    const date = berlinDate(2);
    const made = await client.postForm("/meetings/new", form({ date, repeat: "none", invitees: "" }), de);
    assert.equal(made.status, 303);
    const html = await page(await client.get("/dashboard", de));
    assert.deepEqual(langOf(html), ["de", "ltr"]);
    assert.match(html, /<h1>Hallo, Ada<\/h1>/);
    assert.match(html, /<h2 id="upcoming-heading">Demnächst<\/h2>/);
    assert.match(html, />Meeting planen<\/a>/);
    assert.match(html, /Zeiten in Europe\/Berlin\./);
    assert.match(html, /<h2>Meeting starten<\/h2>/);
    assert.match(html, /<button type="submit">Neues Meeting<\/button>/);
    assert.match(html, /<h2 id="recent-heading">Ihre letzten Meetings<\/h2>/);
    assert.match(html, /Schützen Sie Ihr Konto mit der Zwei-Faktor-Anmeldung\./);
    assert.match(html, />Geplant<\/span>/);
    assert.match(html, />Bearbeiten<\/a>/);
    assert.match(html, />Absagen<\/a>/);
    const [y, m, d] = date.split("-").map(Number);
    const day = new Intl.DateTimeFormat("de", { timeZone: "UTC", weekday: "short", day: "numeric", month: "short" })
      .format(new Date(Date.UTC(y, m - 1, d)));
    assert.match(day, /^(Mo|Di|Mi|Do|Fr|Sa|So)\., /, day);
    assert.ok(html.includes(`${day}, 09:00–09:30`), `the German date ${day} on the dashboard`);
    assert.doesNotMatch(html, /Upcoming|Your recent meetings|Scheduled</);
  } finally {
    t.close();
  }
});

Deno.test("the schedule form in German and Spanish: labels, weekday names, field errors at 422; the API stays English", async () => {
  const t = await makeTestApp();
  try {
    const { user, client } = await person(t, "Bea");
    const de = { "accept-language": "de" };
    const html = await page(await client.get("/meetings/new", de));
    assert.match(html, /<h1>Meeting planen<\/h1>/);
    assert.match(html, /<label for="f-title">Titel<\/label>/);
    assert.match(html, /<label for="f-timeZone">Zeitzone<\/label>/);
    assert.match(html, /<option value="none" selected>Keine Wiederholung<\/option>/);
    assert.match(html, /name="day_TU"\/> Di<\/label>/, "weekday names from Intl");
    assert.match(html, /<option value="90"[^>]*>1 Std\. 30 Min\.<\/option>/);
    assert.match(html, /<strong>Zusammenfassung:<\/strong> Keine Wiederholung/);

    const bad = await page(await client.postForm("/meetings/new", form({ title: "" }), de), 422);
    assert.match(bad, /Einige Felder müssen noch korrigiert werden/);
    assert.match(bad, /<small class="error" id="f-title-error">Geben Sie dem Meeting einen Titel<\/small>/);
    assert.match(bad, /Jeden Dienstag um 09:00, Zeit Berlin/, "the summary of what was entered, in German");
    const past = await page(await client.postForm("/meetings/new", form({ date: "2020-01-07" }), de), 422);
    assert.match(past, /Wählen Sie einen Beginn in der Zukunft/);
    // The rules' messages with values (the recurrence's limits, the invitees' count) in German too.
    const many = await page(await client.postForm("/meetings/new", form({ ends: "count", count: "2001" }), de), 422);
    assert.match(many, /Eine Serie hat zwischen 1 und 2000 Meetings/);
    const crowd = Array.from({ length: 301 }, (_, i) => `p${i}@example.org`).join(", ");
    const tooMany = await page(await client.postForm("/meetings/new", form({ invitees: crowd }), de), 422);
    assert.match(tooMany, /Laden Sie höchstens 300 Personen ein \(Sie haben 301 angegeben\)/);

    const es = { "accept-language": "es" };
    const badEmail = await page(await client.postForm("/meetings/new", form({ invitees: "bad@" }), es), 422);
    assert.deepEqual(langOf(badEmail), ["es", "ltr"]);
    assert.match(badEmail, /«bad@» no es una dirección de correo válida/);
    assert.match(badEmail, /Revisa algunos campos/);

    // The same rules through the API: English, whatever the request's language.
    const { secret } = await createApiToken(t.kv, user.id, "test");
    const api = t.client();
    const res = await api.sendJson("POST", "/api/v1/meetings", {
      title: "",
      startsAt: "2027-03-02T09:00:00",
      timeZone: "Europe/Berlin",
      durationMinutes: 30,
      invitees: ["bad@"],
    }, { authorization: `Bearer ${secret}`, "accept-language": "de" });
    assert.equal(res.status, 422);
    const problem = await res.json();
    assert.equal(problem.errors.title, "Give the meeting a title");
    assert.equal(problem.errors.invitees, '"bad@" is not a valid email address');
    const rule = await api.sendJson("POST", "/api/v1/meetings", {
      startsAt: "2027-03-02T09:00:00",
      timeZone: "Europe/Berlin",
      durationMinutes: 30,
      recurrence: "FREQ=DAILY;COUNT=2001",
    }, { authorization: `Bearer ${secret}`, "accept-language": "de" });
    assert.equal(rule.status, 422);
    assert.deepEqual((await rule.json()).errors, { recurrence: "A series has between 1 and 2000 meetings" });
  } finally {
    t.close();
  }
});

Deno.test("a series' schedule page and its invitation answer page in German; the cancel confirmation in Arabic", async () => {
  const t = await makeTestApp();
  try {
    const { client } = await person(t, "Cleo");
    const de = { "accept-language": "de" };
    const made = await client.postForm("/meetings/new", form({ ends: "count", count: "6" }), de);
    assert.equal(made.status, 303);
    const schedulePath = made.headers.get("location")!;
    const html = await page(await client.get(schedulePath, de));
    assert.match(html, /Meeting geplant\. E-Mail an 1 Person gesendet\./);
    assert.match(html, /<dd class="schedule-recurrence">Jeden Dienstag um 09:00, Zeit Berlin, 6 Mal<\/dd>/);
    assert.match(html, /Dienstag, 2\. März 2027 um 09:00 \(Europe\/Berlin\), 30 Min\./);
    assert.match(html, /<h2>Antworten<\/h2>/);
    assert.match(html, /0 zugesagt · 0 abgesagt · 1 ohne Antwort/);
    assert.match(html, /<h2>Kommende Termine<\/h2>/);
    assert.match(html, /Di\., 2\. März 2027, 09:00/, "occurrences with German dates");
    assert.match(html, /<h2>Ganze Serie ändern<\/h2>/);
    assert.match(html, /Beibehalten: Jeden Dienstag um 09:00, Zeit Berlin, 6 Mal/);
    assert.match(html, /<title>Planung — Teamrunde · Talkspace<\/title>/);

    const ar = { "accept-language": "ar" };
    const cancel = await page(await client.get(`${schedulePath.split("?")[0]}/cancel`, ar));
    assert.deepEqual(langOf(cancel), ["ar", "rtl"]);
    assert.match(cancel, /هل تريد إلغاء Teamrunde؟/);
    assert.match(cancel, /إرسال إشعار إلغاء إلى الشخص المدعو/);
    assert.match(cancel, /كل يوم الثلاثاء الساعة 09:00، بتوقيت Berlin، 6 مرات/);
    assert.match(cancel, />إلغاء السلسلة كلها<\/button>/);

    // Pia answers through her link, in German.
    const link = new URL(t.mailer.link("pia@example.org", "/rsvp/"));
    const pia = t.client();
    const invitation = await page(await pia.get(link.pathname + link.search, de));
    assert.deepEqual(langOf(invitation), ["de", "ltr"]);
    assert.match(invitation, /Einladung für pia@example\.org: noch nicht beantwortet\./);
    assert.match(invitation, /Jeden Dienstag um 09:00, Zeit Berlin, 6 Mal/);
    assert.match(invitation, /<button type="submit">Zusagen<\/button>/);
    const token = decodeURIComponent(link.pathname.split("/")[2]);
    const answered = await page(await pia.postForm(`/rsvp/${token}`, { answer: "accept" }, de));
    assert.match(answered, /<h1>Vielen Dank<\/h1>/);
    assert.match(answered, /Sie haben „Teamrunde“ zugesagt\./);
    const gone = await page(await pia.get(`/rsvp/${token}x`, de), 404);
    assert.match(gone, /Dieser Einladungslink ist nicht \(mehr\) gültig/);
    const after = await page(await client.get(schedulePath.split("?")[0], de));
    assert.match(after, /<td>Zugesagt<\/td>/);
    const instant = await createMeeting(t.kv, { hostId: (await person(t, "Finn")).user.id, title: "Sofort" });
    const noSchedule = await page(await client.get(`/meetings/${instant.meetingId}/schedule`, de), 403);
    assert.match(noSchedule, /Nur die Hosts des Meetings können seine Planung verwalten/);
  } finally {
    t.close();
  }
});

Deno.test("the meetings history in Arabic (right to left, translated data-labels) and Spanish dates", async () => {
  const t = await makeTestApp();
  try {
    const { user, client } = await person(t, "Dina");
    const m = await createMeeting(t.kv, { hostId: user.id, title: "Retro" });
    await updateMeeting(t.kv, m.id, () => ({
      status: "ended",
      startedAt: "2026-11-03T08:00:00.000Z",
      endedAt: "2026-11-03T09:30:00.000Z",
    }));
    const ar = await page(await client.get("/meetings", { "accept-language": "ar" }));
    assert.deepEqual(langOf(ar), ["ar", "rtl"]);
    assert.match(ar, /<h1>الاجتماعات<\/h1>/);
    assert.match(ar, /<th scope="col">التاريخ<\/th>/);
    assert.match(ar, /<td data-label="التاريخ">/);
    assert.match(ar, /<td data-label="المدة">1 س 30 د<\/td>/);
    assert.match(ar, />الحضور<\/a>/);
    const es = await page(await client.get("/meetings", { "accept-language": "es" }));
    assert.match(es, /<td data-label="Fecha"><time datetime="2026-11-03T08:00:00.000Z">3 nov 2026, 9:00<\/time>/);
    assert.match(es, /<span class="history-role">anfitrión<\/span>/);
  } finally {
    t.close();
  }
});

Deno.test("refusals and the 404 page in the page's language", async () => {
  const t = await makeTestApp();
  try {
    const { user } = await person(t, "Eli");
    const m = await createMeeting(t.kv, { hostId: user.id, title: "Abschluss" });
    await updateMeeting(t.kv, m.id, () => ({ status: "ended", endedAt: new Date().toISOString() }));
    const guest = t.client();
    const de = { "accept-language": "de" };
    const ended = await page(
      await guest.postForm("/join", { meetingId: m.meetingId, passcode: m.passcode, name: "Gast" }, de),
      410,
    );
    assert.deepEqual(langOf(ended), ["de", "ltr"]);
    assert.match(ended, /Dieses Meeting ist beendet\./);
    assert.match(ended, /An einem anderen Meeting teilnehmen/);
    const unknown = await page(await guest.postForm("/join", { meetingId: "1234567890", name: "Gast" }, de), 404);
    assert.match(unknown, /Es gibt kein Meeting mit dieser ID\./);
    const nameless = await page(await guest.postForm("/join", { meetingId: "12", name: "" }, de), 422);
    assert.match(nameless, /Eine Meeting-ID hat zehn Ziffern/);
    assert.match(nameless, /Geben Sie Ihren Namen ein/);

    // The join rules' own refusals (lib/meetings/join.ts says keys with their values), in German and Spanish.
    const open = await createMeeting(t.kv, { hostId: user.id, title: "Runde", settings: { lobby: false } });
    const tries = (passcode: string, lang = de) =>
      guest.postForm("/join", { meetingId: open.meetingId, passcode, name: "Gast" }, lang);
    assert.match(await page(await tries(""), 422), /Geben Sie den Kenncode des Meetings ein/);
    assert.match(await page(await tries("000000000"), 422), /Dieser Kenncode passt nicht zu diesem Meeting\./);
    const entry = await page(
      await guest.postForm(`/m/${open.meetingId}/join`, { passcode: "000000000", name: "Gast" }, de),
      422,
    );
    assert.match(entry, /Dieser Kenncode passt nicht zu diesem Meeting\./, "the meeting's entry page too");
    assert.match(
      await page(await tries("000000000", { "accept-language": "es" }), 422),
      /Ese código de acceso no es el de esta reunión\./,
    );
    const closed = await createMeeting(t.kv, { hostId: user.id, title: "Intern", settings: { guestsAllowed: false } });
    assert.match(
      await page(await guest.get(`/m/${closed.meetingId}`, de), 403),
      /Dieses Meeting ist nur für Personen mit Konto\./,
    );
    const { user: ida, client: idaClient } = await person(t, "Ida");
    for (const kind of ["denied", "removed"] as const) {
      const op = t.kv.atomic();
      writeBlocks(op, { meetingId: open.meetingId, userId: ida.id } as Admission, kind, new Date());
      assert.ok((await op.commit()).ok);
      const refused = (lang: Record<string, string>) =>
        idaClient.postForm(`/m/${open.meetingId}/join`, { passcode: open.passcode }, lang);
      if (kind === "denied") {
        assert.match(
          await page(await refused(de), 403),
          /Der Host hat Sie nicht hereingelassen\. Sie können es in 10 Minuten erneut versuchen\./,
        );
        assert.match(
          await page(await refused({ "accept-language": "es" }), 403),
          /Puedes volver a pedirlo dentro de 10 minutos\./,
        );
      } else {
        assert.match(await page(await refused(de), 403), /Ein Host hat Sie aus diesem Meeting entfernt\./);
      }
    }

    const missing = await page(await guest.get("/no-such-page", { "accept-language": "es" }), 404);
    assert.deepEqual(langOf(missing), ["es", "ltr"]);
    assert.match(missing, /<h1>Página no encontrada<\/h1>/);
    assert.match(missing, /<title>Página no encontrada · Talkspace<\/title>/);
    assert.match(missing, /No hemos encontrado esa página/);
    assert.match(missing, /Volver a la página de inicio/);
    const arMissing = await page(await guest.get("/no-such-page", { "accept-language": "ar" }), 404);
    assert.deepEqual(langOf(arMissing), ["ar", "rtl"]);
    assert.match(arMissing, /الصفحة غير موجودة/);
    const en = await page(await guest.get("/no-such-page", { "accept-language": "en" }), 404);
    assert.match(en, /<h1>Page not found<\/h1>/);
    assert.match(en, /We could not find that page/);
  } finally {
    t.close();
  }
});
