// Languages through the real web app: Accept-Language picks the page's language (html lang, dir,
// the strings), the footer's picker remembers a visitor's choice in a cookie and a signed-in
// person's on the account (which then wins everywhere), a bad choice is a field error, the cached
// signed-out pages never serve one language to another, and the meeting island gets its messages
// in the page's language. Arabic renders right to left.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import { createUser, getUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";

const htmlOf = async (res: Response) => {
  assert.equal(res.status, 200);
  return await res.text();
};
/** GETs `path`, following the app's own redirects (joining sets cookies on the way), as a browser would. */
async function follow(c: ReturnType<Awaited<ReturnType<typeof makeTestApp>>["client"]>, path: string, lang: string) {
  let res = await c.get(path, { "accept-language": lang });
  for (let i = 0; i < 3 && res.status === 303; i++) {
    await res.body?.cancel();
    res = await c.get(res.headers.get("location")!, { "accept-language": lang });
  }
  return res;
}
const langOf = (html: string) => /<html lang="([^"]+)"(?: dir="([^"]+)")?/.exec(html)?.slice(1, 3);

Deno.test("the page's language follows Accept-Language; Arabic is right to left; cached pages keep them apart", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    const de = await htmlOf(await c.get("/", { "accept-language": "de-AT,de;q=0.9,en;q=0.5" }));
    assert.deepEqual(langOf(de), ["de", "ltr"]);
    assert.match(de, /Von Angesicht zu Angesicht/);
    assert.match(de, /<label for="f-meetingId">Meeting-ID<\/label>/, "the join form is German too");
    const en = await htmlOf(await c.get("/", { "accept-language": "en-US" }));
    assert.deepEqual(langOf(en), ["en", "ltr"]);
    assert.match(en, /Meet face to face/);
    assert.doesNotMatch(en, /Angesicht/, "the German page was not served from the cache to English");
    const ar = await htmlOf(await c.get("/signin", { "accept-language": "ar" }));
    assert.deepEqual(langOf(ar), ["ar", "rtl"]);
    assert.match(ar, /تسجيل الدخول/);
    const none = await htmlOf(await c.get("/", { "accept-language": "fr-FR,it;q=0.5" }));
    assert.deepEqual(langOf(none), ["en", "ltr"], "unsupported languages fall back to English");
  } finally {
    t.close();
  }
});

Deno.test("the language picker: a visitor's cookie beats Accept-Language, an account's choice beats both", async () => {
  const t = await makeTestApp();
  try {
    const visitor = t.client();
    const bad = await visitor.postForm("/language", { locale: "xx", back: "/" });
    assert.equal(bad.status, 422, "an unknown language is a field error");
    await bad.body?.cancel();
    const chose = await visitor.postForm("/language", { locale: "es", back: "/signin" });
    assert.equal(chose.status, 303);
    assert.equal(chose.headers.get("location"), "/signin", "back to the page it was chosen on");
    const es = await htmlOf(await visitor.get("/", { "accept-language": "de" }));
    assert.deepEqual(langOf(es), ["es", "ltr"], "the cookie wins over Accept-Language");
    const away = await visitor.postForm("/language", { locale: "de", back: "//evil.test/" });
    assert.equal(away.headers.get("location"), "/", "never off the site");
    await away.body?.cancel();

    const user = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "unused" });
    const { token } = await createSession(t.kv, user.id, "full");
    const member = t.client();
    member.cookies.set("ts_session", token);
    const picked = await member.postForm("/language", { locale: "ar", back: "/dashboard" });
    assert.equal(picked.status, 303);
    assert.equal((await getUser(t.kv, user.id))?.locale, "ar", "kept on the account");
    // Another browser of the same account, with a German cookie and German Accept-Language.
    const other = t.client();
    other.cookies.set("ts_session", token);
    other.cookies.set("ts_lang", "de");
    const dash = await htmlOf(await other.get("/dashboard", { "accept-language": "de" }));
    assert.deepEqual(langOf(dash), ["ar", "rtl"], "the account's choice wins");
  } finally {
    t.close();
  }
});

Deno.test("the meeting island speaks the page's language: its messages come in the language's catalog chunk", async () => {
  const t = await makeTestApp();
  try {
    const host = await createUser(t.kv, { name: "Hana", email: "hana@example.org", passwordHash: "unused" });
    const { token } = await createSession(t.kv, host.id, "full");
    const meeting = await createMeeting(t.kv, { hostId: host.id, title: "Planung" });
    const c = t.client();
    c.cookies.set("ts_session", token);
    const page = await htmlOf(await follow(c, `/m/${meeting.meetingId}`, "de"));
    assert.deepEqual(langOf(page), ["de", "ltr"]);
    assert.match(page, /Jetzt teilnehmen/, "the server-rendered pre-join is German");
    assert.match(page, /Sie nehmen teil als Hana/);
    assert.doesNotMatch(page, /"site\.dashboard"|"room\.joinNow"/, "no messages travel in the page");
    // The German chunk is preloaded and imported by the boot script, and is what the island gets.
    const chunk = /<link rel="modulepreload" href="\/_islands\/(MeetingRoom-de-[0-9a-f]{12}\.js)"/.exec(page)?.[1];
    assert.ok(chunk, "the page preloads its language's catalog chunk");
    assert.match(page, new RegExp(`import m0 from"/_islands/${chunk}"`));
    const res = await c.get(`/_islands/${chunk}`);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    assert.match(await res.text(), /"room\.joinNow":\["Jetzt teilnehmen"\]/);
    const guest = t.client();
    const entry = await htmlOf(await follow(guest, `/m/${meeting.meetingId}?pwd=${meeting.linkToken}`, "es"));
    assert.match(entry, /Pedir unirse|Unirse ahora/, "a guest's entry page is Spanish");
    assert.match(entry, /Probar altavoz/);
  } finally {
    t.close();
  }
});
