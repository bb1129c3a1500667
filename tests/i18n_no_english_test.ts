// Every kind of page in German, checked for English a German reader would meet: the real app in
// process renders each page (signed out, signed in, admin, meeting, errors, bad forms) with
// Accept-Language: de, and the visible text (tests/support/visible_text.ts) must hold
//  - no English catalog message of two words or more verbatim (where German says it otherwise), and
//  - no English word: a word English's catalog uses that German's never does (so loanwords such
//    as Meeting, Host or Link, used by the German catalog itself, pass), unless it is data the test
//    made (names, titles, addresses) or a time zone's name.
// A message that never went into the catalogs is caught by the second rule, one in the catalog but
// left untranslated by the first.

import assert from "node:assert/strict";
import { makeTestApp, type TestApp, type TestClient } from "./support/app.ts";
import { visibleText } from "./support/visible_text.ts";
import { CATALOGS } from "../lib/i18n/translate.ts";
import { createUser, updateUser, type User } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { changeRole, deleteUserAsAdmin } from "../lib/accounts/admin.ts";
import { createMeeting, getMeetingByNumber, updateMeeting } from "../lib/meetings/store.ts";
import { type Admission, writeBlocks } from "../lib/meetings/join.ts";
import { makeRecording } from "./support/recordings.ts";
import { loadGuide } from "../lib/web/guide.ts";

const DE = { "accept-language": "de" };

const words = (text: string) => text.match(/\p{L}[\p{L}'’-]*/gu) ?? [];
const messageWords = (catalog: Record<string, string>) =>
  new Set(Object.values(catalog).flatMap((m) => words(m.replace(/\{[^{}]*\}/g, " "))));

const en = CATALOGS.en as Record<string, string>;
const de = CATALOGS.de as Record<string, string>;
const GERMAN_WORDS = messageWords(de);
/** Words only English says: in English's messages, in none of German's. */
const ENGLISH_ONLY = new Set([...messageWords(en)].filter((w) => !GERMAN_WORDS.has(w)));
/**
 * English messages (their fixed text between placeholders) of two words or more that German says
 * differently; a piece German's own message also holds (a product name, an example) is left out.
 */
const ENGLISH_PHRASES = Object.entries(en).flatMap(([key, message]) =>
  message === de[key] ? [] : message.split(/\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}/).map((p) => p.trim())
    .filter((p) => words(p).length >= 2 && !de[key].includes(p))
);
/**
 * Words of the German guide that English's catalog also has: names (SIP, API) and German words
 * spelt like English ones ("links" is left, "was" is what, "fast" is almost); the guide holds no
 * other English.
 */
const GUIDE_NAMES = "SIP API links was private Administration fast";
/** Time zone names are shown as they are (Europe/Berlin, America/New_York). */
const ZONE_WORDS = new Set(Intl.supportedValuesOf("timeZone").flatMap((z) => words(z.replaceAll("_", " "))));

/** What is English on the page, beyond `data` (words of what the test itself stored). */
function englishOn(html: string, data: Set<string>): string[] {
  const pieces = visibleText(html);
  const text = pieces.join("\n");
  const found: string[] = ENGLISH_PHRASES.filter((p) => text.includes(p)).map((p) => `message: ${p}`);
  for (const piece of pieces) {
    // Addresses and generated values (tokens, ids: letters mixed with digits) hold no words.
    const prose = piece.split(/\s+/).filter((s) => !/^https?:|@/.test(s) && !(/\d/.test(s) && /\p{L}/u.test(s)));
    for (const w of words(prose.join(" "))) {
      if (ENGLISH_ONLY.has(w) && !data.has(w) && !ZONE_WORDS.has(w)) found.push(`word "${w}" in: ${piece}`);
    }
  }
  return [...new Set(found)];
}

async function signedIn(t: TestApp, user: User): Promise<TestClient> {
  const c = t.client();
  c.cookies.set("ts_session", (await createSession(t.kv, user.id, "full")).token);
  return c;
}

Deno.test("every kind of page in German shows no English", async () => {
  const t = await makeTestApp({ TALKSPACE_ENV: "development" });
  try {
    // Data in German, so its words are not mistaken for English; their words are listed as data.
    const greta = await createUser(t.kv, { name: "Greta Gärtner", email: "greta@beispiel.de", passwordHash: "x" });
    await updateUser(t.kv, greta.id, () => ({ emailVerified: true, timeZone: "Europe/Berlin" }));
    const jonas = await createUser(t.kv, { name: "Jonas Vogel", email: "jonas@beispiel.de", passwordHash: "x" });
    const lena = await createUser(t.kv, { name: "Lena Fuchs", email: "lena@beispiel.de", passwordHash: "x" });
    const actor = { id: greta.id, email: greta.email };
    await changeRole(t.kv, actor, jonas.id, "admin");
    await deleteUserAsAdmin(t.kv, actor, lena.id);
    const data = new Set(words("Greta Gärtner Jonas Vogel Lena Fuchs greta jonas lena beispiel de Wochenrunde Gast"));

    const admin = await signedIn(t, (await updateUser(t.kv, greta.id, (u) => u))!);
    const plain = await signedIn(t, jonas);
    await changeRole(t.kv, actor, jonas.id, "user");
    const guest = t.client();

    const series = await admin.postForm("/meetings/new", {
      title: "Wochenrunde",
      date: "2027-03-02",
      time: "09:00",
      timeZone: "Europe/Berlin",
      duration: "30",
      repeat: "weekly",
      ends: "count",
      count: "6",
      invitees: "",
    }, DE);
    assert.equal(series.status, 303, await series.text());
    const schedulePath = series.headers.get("location")!.split("?")[0];
    // An instant meeting from the dashboard: its title is the host's language's.
    const instant = await admin.postForm("/meetings", {}, DE);
    assert.equal(instant.status, 303);
    await instant.body?.cancel();
    const meetingId = schedulePath.split("/")[2];
    const lobbyMeeting = await createMeeting(t.kv, {
      hostId: greta.id,
      title: "Wochenrunde",
      settings: { lobby: true, guestsAllowed: true },
    });
    // The join form's refusals (lib/meetings/join.ts): an ended meeting, one for accounts only, and
    // one where a host denied Jonas (for 10 minutes) and one where a host removed him.
    const endedMeeting = await createMeeting(t.kv, { hostId: greta.id, title: "Wochenrunde" });
    await updateMeeting(t.kv, endedMeeting.id, () => ({ status: "ended", endedAt: new Date().toISOString() }));
    const membersOnly = await createMeeting(t.kv, {
      hostId: greta.id,
      title: "Wochenrunde",
      settings: { guestsAllowed: false },
    });
    const [deniedIn, removedFrom] = [
      await createMeeting(t.kv, { hostId: greta.id, title: "Wochenrunde" }),
      await createMeeting(t.kv, { hostId: greta.id, title: "Wochenrunde" }),
    ];
    for (const [m, kind] of [[deniedIn, "denied"], [removedFrom, "removed"]] as const) {
      const op = t.kv.atomic();
      writeBlocks(op, { meetingId: m.meetingId, userId: jonas.id } as Admission, kind, new Date());
      assert.ok((await op.commit()).ok);
    }
    const join = (m: { meetingId: string }, values: Record<string, string>) =>
      guest.postForm("/join", { meetingId: m.meetingId, name: "Gast", ...values }, DE);
    const guide = loadGuide(undefined, { strict: false });
    // A host's first visit admits them (303 to the same address); the second is the meeting page.
    const first = await admin.get(`/m/${meetingId}`, DE);
    assert.equal(first.status, 303);
    await first.body?.cancel();

    // Recordings of the series' meeting: one ready (with a share link behind a passcode), one being prepared.
    const seriesMeeting = (await getMeetingByNumber(t.kv, meetingId))!;
    const ready = await makeRecording(t.kv, seriesMeeting, { sizeBytes: 250_000_000, durationSeconds: 1800 });
    const preparing = await makeRecording(t.kv, seriesMeeting, { state: "processing" });
    const made = await admin.postForm(`/recordings/${ready.id}/links`, { days: "7", passcode: "Tulpe 42" }, DE);
    const madeHtml = await made.text();
    const sharePath = new URL(/<code class="share-url">([^<]+)<\/code>/.exec(madeHtml)![1]).pathname;

    const pages: [string, Promise<Response>, number][] = [
      ["/", guest.get("/", DE), 200],
      ["/signin", guest.get("/signin", DE), 200],
      [
        "/signin (wrong password)",
        guest.postForm("/signin", { email: "greta@beispiel.de", password: "nein" }, DE),
        422,
      ],
      ["/signup", guest.get("/signup", DE), 200],
      ["/signup (bad form)", guest.postForm("/signup", { name: "", email: "x", password: "kurz" }, DE), 422],
      ["/signup?notice=check-email", guest.get("/signup?notice=check-email", DE), 200],
      ["/reset", guest.get("/reset", DE), 200],
      ["/reset/:token (expired)", guest.get("/reset/abgelaufen", DE), 410],
      ["/verify/:token (expired)", guest.get("/verify/abgelaufen", DE), 410],
      ["/join", guest.get("/join", DE), 200],
      ["/join (no passcode)", join(lobbyMeeting, { passcode: "" }), 422],
      ["/join (wrong passcode)", join(lobbyMeeting, { passcode: "000000000" }), 422],
      ["/join (ended)", join(endedMeeting, { passcode: endedMeeting.passcode }), 410],
      ["/join (accounts only)", join(membersOnly, { passcode: membersOnly.passcode }), 403],
      [
        "/m/:id/join (wrong passcode)",
        guest.postForm(`/m/${lobbyMeeting.meetingId}/join`, { name: "Gast", passcode: "000000000" }, DE),
        422,
      ],
      ["/m/:id (accounts only)", guest.get(`/m/${membersOnly.meetingId}`, DE), 403],
      [
        "/m/:id/join (denied)",
        plain.postForm(`/m/${deniedIn.meetingId}/join`, { passcode: deniedIn.passcode }, DE),
        403,
      ],
      [
        "/m/:id/join (removed)",
        plain.postForm(`/m/${removedFrom.meetingId}/join`, { passcode: removedFrom.passcode }, DE),
        403,
      ],
      ["/offline", guest.get("/offline", DE), 200],
      ["/help", guest.get("/help", DE), 200],
      ...guide.topics.map((p): [string, Promise<Response>, number] => [
        `/help/${p.slug}`,
        guest.get(`/help/${p.slug}`, DE),
        200,
      ]),
      ["/help/:unknown", guest.get("/help/gibt-es-nicht", DE), 404],
      ["404", guest.get("/gibt-es-nicht", DE), 404],
      ["/m/:id (guest's entry page)", guest.get(`/m/${lobbyMeeting.meetingId}`, DE), 200],
      ["/dashboard", admin.get("/dashboard", DE), 200],
      ["/meetings", admin.get("/meetings", DE), 200],
      ["/meetings/new", admin.get("/meetings/new", DE), 200],
      ["/meetings/new (bad form)", admin.postForm("/meetings/new", { title: "", date: "morgen" }, DE), 422],
      ["schedule page", admin.get(schedulePath, DE), 200],
      ["cancel confirmation", admin.get(`${schedulePath}/cancel`, DE), 200],
      ["/m/:id (host's meeting page)", admin.get(`/m/${meetingId}`, DE), 200],
      ["/account", admin.get("/account", DE), 200],
      ["/account/tokens", admin.get("/account/tokens", DE), 200],
      ["/account/totp", admin.get("/account/totp", DE), 200],
      ["/account/notifications", admin.get("/account/notifications", DE), 200],
      [
        "/account/notifications (bad minutes)",
        admin.postForm("/account/notifications/reminders", { minutes: "10, bald" }, DE),
        422,
      ],
      [
        "/account/notifications (too many)",
        admin.postForm("/account/notifications/reminders", {
          minutes: "1, 2, 3, 4, 5, 6",
        }, DE),
        422,
      ],
      ["/admin/users", admin.get("/admin/users", DE), 200],
      ["/admin/users/:id", admin.get(`/admin/users/${jonas.id}`, DE), 200],
      ["/admin/users/:unknown", admin.get("/admin/users/gibt-es-nicht", DE), 404],
      ["/admin/audit", admin.get("/admin/audit", DE), 200],
      ["/admin/audit (bad link)", admin.get("/admin/audit?before=kaputt", DE), 422],
      ["/admin/users as a non-admin", plain.get("/admin/users", DE), 403],
      ["/meetings/:id/schedule of someone else's", plain.get(schedulePath, DE), 403],
      ["/language (unknown)", guest.postForm("/language", { locale: "xx", back: "/" }, DE), 422],
      ["/recordings", admin.get("/recordings", DE), 200],
      ["/recordings/:id (ready)", admin.get(`/recordings/${ready.id}`, DE), 200],
      ["/recordings/:id (being prepared)", admin.get(`/recordings/${preparing.id}`, DE), 200],
      ["/recordings/:id (bad title)", admin.postForm(`/recordings/${ready.id}/rename`, { title: " " }, DE), 422],
      [
        "/recordings/:id (bad link)",
        admin.postForm(`/recordings/${ready.id}/links`, { days: "3", passcode: "ab" }, DE),
        422,
      ],
      ["/recordings/:id/delete", admin.get(`/recordings/${ready.id}/delete`, DE), 200],
      ["/recordings/:id of someone else's", plain.get(`/recordings/${ready.id}`, DE), 404],
      ["/r/:token (passcode)", guest.get(sharePath, DE), 200],
      ["/r/:token (wrong passcode)", guest.postForm(sharePath, { passcode: "falsch" }, DE), 422],
      ["/r/:token (unknown)", guest.get("/r/gibt-es-nicht-gibt-es-nicht", DE), 404],
      ["/meetings/:id", admin.get(`/meetings/${meetingId}`, DE), 200],
    ];
    // The guide's German pages: see GUIDE_NAMES.
    const guideNames = new Set(words(GUIDE_NAMES));
    const problems: string[] = [];
    for (const e of englishOn(madeHtml, data)) problems.push(`new share link: ${e}`);
    for (const [name, pending, status] of pages) {
      const res = await pending;
      const html = await res.text();
      assert.equal(res.status, status, `${name}: ${html.slice(0, 400)}`);
      assert.match(html, /<html lang="de"/, name);
      const known = name.startsWith("/help") ? new Set([...data, ...guideNames]) : data;
      for (const e of englishOn(html, known)) problems.push(`${name}: ${e}`);
    }
    // The token page right after creating one (its copy button), and the lobby a guest waits in.
    const created = await admin.postForm("/account/tokens", { name: "Kalender" }, DE);
    for (const e of englishOn(await created.text(), new Set([...data, "Kalender"]))) problems.push(`new token: ${e}`);
    const knock = await guest.postForm(
      `/m/${lobbyMeeting.meetingId}/join`,
      { name: "Gast", passcode: lobbyMeeting.passcode },
      DE,
    );
    const lobby = knock.status === 303 ? await guest.get(knock.headers.get("location")!, DE) : knock;
    const lobbyHtml = await lobby.text();
    assert.match(lobbyHtml, /data-waiting="true"/, "the guest waits in the lobby");
    for (const e of englishOn(lobbyHtml, data)) problems.push(`lobby: ${e}`);
    assert.deepEqual(problems, [], `English on German pages:\n${problems.join("\n")}`);
  } finally {
    t.close();
  }
});

Deno.test("the English check finds English: an English page fails it", async () => {
  const t = await makeTestApp();
  try {
    const html = await (await t.client().get("/signup")).text();
    assert.ok(englishOn(html, new Set()).length > 3, "the check would pass an English page");
    assert.ok(ENGLISH_PHRASES.includes("Create your account"), "a two-word English message is looked for");
    assert.ok(ENGLISH_ONLY.has("Copied") && !ENGLISH_ONLY.has("Meeting"), "English-only words, loanwords aside");
  } finally {
    t.close();
  }
});
