// The accounts and administration pages in the page's language: each page's heading and labels in
// German (and a few in Arabic, right to left), German field errors after a bad form, the account
// page's Language select saved on the account (the next page speaks it), dates in the person's
// language and time zone, and the API still answering English whatever the request's language.

import assert from "node:assert/strict";
import { makeTestApp, type TestClient } from "./support/app.ts";
import { createUser, createUsers, getUser, type User } from "../lib/accounts/users.ts";
import { updateUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createApiToken } from "../lib/accounts/api_tokens.ts";
import { inEnglish } from "../lib/web/validate.ts";

const DE = { "accept-language": "de-DE,de;q=0.9" };
const AR = { "accept-language": "ar" };

const langOf = (html: string) => /<html lang="([^"]+)"(?: dir="([^"]+)")?/.exec(html)?.slice(1, 3);

async function page(c: TestClient, path: string, headers: Record<string, string>, status = 200) {
  const res = await c.get(path, headers);
  const html = await res.text();
  assert.equal(res.status, status, `${path}: ${html.slice(0, 300)}`);
  return html;
}

function assertHas(html: string, needles: string[], where: string) {
  for (const n of needles) assert.ok(html.includes(n), `${where}: missing ${JSON.stringify(n)}`);
}

async function signedIn(t: Awaited<ReturnType<typeof makeTestApp>>, user: User): Promise<TestClient> {
  const { token } = await createSession(t.kv, user.id, "full");
  const c = t.client();
  c.cookies.set("ts_session", token);
  return c;
}

Deno.test("signed-out account pages in German and Arabic: headings, labels, html lang and dir", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    const signup = await page(c, "/signup", DE);
    assert.deepEqual(langOf(signup), ["de", "ltr"]);
    assertHas(signup, [
      "<h1>Konto erstellen</h1>",
      ">Ihr Name</label>",
      ">E-Mail-Adresse</label>",
      "Sie haben schon ein Konto?",
    ], "/signup");
    const check = await page(c, "/signup?notice=check-email", DE);
    assertHas(check, ["Prüfen Sie Ihre E-Mails", '<a href="/signup">versuchen Sie es noch einmal</a>.'], "check-email");

    const signin = await page(c, "/signin?notice=password-reset", DE);
    assertHas(signin, ["Ihr Passwort wurde geändert.", "<title>Anmelden · Talkspace</title>"], "/signin");
    const odd = await page(c, "/signin?notice=constructor", DE);
    assert.doesNotMatch(odd, /class="notice/, "only the listed notices show");
    const reset = await page(c, "/reset", DE);
    assertHas(reset, ["<h1>Passwort vergessen?</h1>", "Link senden", "Zurück zur Anmeldung"], "/reset");
    const expired = await page(c, "/reset/not-a-token", DE, 410);
    assertHas(expired, ["Dieser Link ist nicht mehr gültig", "Neuen Link anfordern"], "/reset/:token");
    const verify = await page(c, "/verify/not-a-token", DE, 410);
    assertHas(verify, ["Wir konnten Ihre Adresse nicht bestätigen", "Neuen Bestätigungslink senden"], "/verify");

    const arSignup = await page(c, "/signup", AR);
    assert.deepEqual(langOf(arSignup), ["ar", "rtl"]);
    assertHas(arSignup, ["<h1>أنشئ حسابك</h1>", ">اسمك</label>"], "/signup ar");
    const arReset = await page(c, "/reset", AR);
    assert.deepEqual(langOf(arReset), ["ar", "rtl"]);
    assertHas(arReset, ["أرسل لي رابطًا"], "/reset ar");
    // The cached English pages are not served to the German or Arabic visitor, nor the other way round.
    const en = await page(c, "/signup", {});
    assertHas(en, ["<h1>Create your account</h1>"], "/signup en");
  } finally {
    t.close();
  }
});

Deno.test("bad forms re-render with German field errors; the two-factor step too", async () => {
  const t = await makeTestApp();
  try {
    const c = t.client();
    const signup = await c.postForm("/signup", { name: "", email: "nope", password: "short" }, DE);
    assert.equal(signup.status, 422);
    assertHas(await signup.text(), [
      "Bitte korrigieren Sie die unten markierten Felder.",
      "Geben Sie Ihren Namen ein",
      "Geben Sie eine gültige E-Mail-Adresse ein",
      "Verwenden Sie mindestens 10 Zeichen",
    ], "signup 422");
    const signin = await c.postForm("/signin", { email: "nobody@example.org", password: "wrong-password" }, DE);
    assert.equal(signin.status, 422);
    assertHas(await signin.text(), ["Die E-Mail-Adresse oder das Passwort ist falsch."], "signin 422");

    const ada = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "unused" });
    await updateUser(t.kv, ada.id, () => ({ totpSecret: "sealed-secret-placeholder" }));
    const { token } = await createSession(t.kv, ada.id, "totp");
    const half = t.client();
    half.cookies.set("ts_session", token);
    const step = await page(half, "/signin/totp", DE);
    assertHas(step, ["<h1>Anmeldecode eingeben</h1>", "Abbrechen und neu beginnen"], "/signin/totp");
    const bad = await half.postForm("/signin/totp", { code: "12" }, DE);
    assert.equal(bad.status, 422);
    assertHas(await bad.text(), ["Geben Sie den 6-stelligen Code aus Ihrer App"], "/signin/totp 422");
  } finally {
    t.close();
  }
});

Deno.test("signed-in account pages in German (and Arabic): settings, two-factor, tokens, reminders, calendar", async () => {
  const t = await makeTestApp();
  try {
    const ada = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "unused" });
    await updateUser(t.kv, ada.id, () => ({ timeZone: "Europe/Berlin" }));
    const c = await signedIn(t, ada);
    const account = await page(c, "/account", DE);
    assert.deepEqual(langOf(account), ["de", "ltr"]);
    assertHas(account, [
      "<h1>Kontoeinstellungen</h1>",
      ">Zeitzone</label>",
      '<label for="f-account-locale">Sprache</label>',
      '<option value="de" lang="de" selected>Deutsch</option>',
      "Ihr Konto verwendet <strong>ada@example.org</strong> (noch nicht bestätigt).",
      '<a href="/account/calendar">Ihr Kalender-Feed</a>',
    ], "/account");
    const bad = await c.postForm("/account/password", { current: "", password: "x" }, DE);
    assert.equal(bad.status, 422);
    assertHas(await bad.text(), ["Geben Sie Ihr Passwort ein", "Verwenden Sie mindestens 10 Zeichen"], "password 422");

    const totp = await page(c, "/account/totp", DE);
    assertHas(totp, ["<h1>Zwei-Faktor-Anmeldung einrichten</h1>", ">Code aus Ihrer App</label>"], "/account/totp");
    const wrong = await c.postForm("/account/totp/confirm", { code: "abc" }, DE);
    assert.equal(wrong.status, 422);
    assertHas(
      await wrong.text(),
      ["Geben Sie den 6-stelligen Code ein, den Ihre Authenticator-App anzeigt"],
      "totp 422",
    );

    await createApiToken(t.kv, ada.id, "Kalender");
    const tokens = await page(c, "/account/tokens", DE);
    assertHas(
      tokens,
      ["<h1>API-Tokens</h1>", ">Zuletzt verwendet</th>", "Nie", "<code>Authorization: Bearer"],
      "tokens",
    );
    // Created just now, shown the German way (e.g. "04.12.2026, 21:05"), in Berlin time.
    const when = new Intl.DateTimeFormat("de", { dateStyle: "medium", timeStyle: "short", timeZone: "Europe/Berlin" })
      .format(new Date());
    assert.ok(tokens.includes(when) || tokens.includes(when.slice(0, 10)), `a German date in ${tokens}`);
    const noName = await c.postForm("/account/tokens", { name: "" }, DE);
    assert.equal(noName.status, 422);
    assertHas(await noName.text(), ["Geben Sie dem Token einen Namen"], "tokens 422");

    assertHas(await page(c, "/account/notifications", DE), ["<h1>Meeting-Erinnerungen</h1>"], "notifications");
    assertHas(
      await page(c, "/account/calendar", DE),
      ["<h1>Kalender-Feed</h1>", "Meine Feed-Adresse erstellen"],
      "calendar",
    );

    const ar = await page(c, "/account", AR);
    assert.deepEqual(langOf(ar), ["ar", "rtl"]);
    assertHas(ar, ["<h1>إعدادات الحساب</h1>"], "/account ar");
  } finally {
    t.close();
  }
});

Deno.test("the account page's Language select saves the choice on the account; the next page speaks it", async () => {
  const t = await makeTestApp();
  try {
    const ada = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "unused" });
    const c = await signedIn(t, ada);
    const bad = await c.postForm("/account/profile", { name: "Ada", timeZone: "UTC", locale: "xx" }, DE);
    assert.equal(bad.status, 422);
    assertHas(await bad.text(), ["Wählen Sie eine der aufgeführten Sprachen"], "bad locale");
    assert.equal((await getUser(t.kv, ada.id))?.locale, undefined, "nothing saved");

    const saved = await c.postForm("/account/profile", { name: "Ada", timeZone: "UTC", locale: "es" });
    assert.equal(saved.status, 303);
    const next = saved.headers.get("location")!;
    await saved.body?.cancel();
    assert.equal((await getUser(t.kv, ada.id))?.locale, "es");
    const after = await page(c, next, { "accept-language": "de" });
    assert.deepEqual(langOf(after), ["es", "ltr"], "the account's choice beats Accept-Language");
    assertHas(after, ["Tu perfil se ha guardado.", '<option value="es" lang="es" selected>Español</option>'], "after");

    // A profile form without the select (an older page) keeps the choice.
    const plain = await c.postForm("/account/profile", { name: "Ada L.", timeZone: "UTC" });
    assert.equal(plain.status, 303);
    await plain.body?.cancel();
    assert.equal((await getUser(t.kv, ada.id))?.locale, "es");
  } finally {
    t.close();
  }
});

Deno.test("administration pages in German and Arabic; a bad form answers a German field error", async () => {
  const t = await makeTestApp();
  try {
    const admin = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "unused" });
    assert.equal(admin.role, "admin", "the first account is the admin");
    const bob = await createUser(t.kv, { name: "Bob", email: "bob@example.org", passwordHash: "unused" });
    const c = await signedIn(t, admin);
    const list = await page(c, "/admin/users", DE);
    assert.deepEqual(langOf(list), ["de", "ltr"]);
    assertHas(
      list,
      ['aria-label="Verwaltung"', "<h1>Konten</h1>", ">Rolle</th>", "1–2 von 2 Konten.", "Benutzer"],
      "list",
    );
    const one = await page(c, `/admin/users/${bob.id}`, DE);
    assertHas(one, ["← Alle Konten", "Rolle ändern", "Konto deaktivieren"], "one account");
    const role = await c.postForm(`/admin/users/${bob.id}/role`, { role: "owner" }, DE);
    assert.equal(role.status, 422);
    assertHas(await role.text(), ["Wählen Sie Administrator oder Benutzer"], "role 422");
    const del = await c.postForm(`/admin/users/${bob.id}/delete`, { confirm: "nope" }, DE);
    assert.equal(del.status, 422);
    assertHas(
      await del.text(),
      ["Geben Sie zur Bestätigung die E-Mail-Adresse des Kontos ein: bob@example.org"],
      "delete 422",
    );
    const last = await c.postForm(`/admin/users/${admin.id}/disable`, {}, DE);
    assert.equal(last.status, 409);
    assertHas(await last.text(), ["daher kann es nicht deaktiviert werden"], "last admin");

    // Enough accounts for a second page: the pager speaks German too.
    await createUsers(
      t.kv,
      Array.from({ length: 25 }, (_, i) => ({ name: `M${i}`, email: `m${i}@example.org`, passwordHash: "unused" })),
    );
    assertHas(await page(c, "/admin/users", DE), ['aria-label="Seiten"', 'rel="next">Weiter →</a>'], "pager");

    const disabled = await c.postForm(`/admin/users/${bob.id}/disable`, {});
    assert.equal(disabled.status, 303);
    await disabled.body?.cancel();
    const audit = await page(c, "/admin/audit", AR);
    assert.deepEqual(langOf(audit), ["ar", "rtl"]);
    assertHas(audit, ["<h1>سجل التدقيق</h1>", ">الإجراء</th>", "عطّل"], "audit ar");
  } finally {
    t.close();
  }
});

Deno.test("the API answers English field messages whatever the request's language", async () => {
  const t = await makeTestApp();
  try {
    const ada = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "unused" });
    const { secret } = await createApiToken(t.kv, ada.id, "script");
    const api = t.client();
    const res = await api.sendJson("PATCH", "/api/v1/me", { reminderMinutes: -5 }, {
      authorization: `Bearer ${secret}`,
      ...DE,
    });
    assert.equal(res.status, 422);
    const problem = await res.json();
    const messages = Object.values(problem.errors as Record<string, string>);
    assert.ok(messages.length > 0);
    for (const m of messages) {
      assert.doesNotMatch(m, /^accounts\./, "never a raw key");
      assert.match(m, /^Use 0/, "English");
    }
    // Schemas shared with the pages carry keys; parseJson turns them into English.
    assert.deepEqual(inEnglish({ email: "accounts.error.emailInvalid", other: "as is" }), {
      email: "Enter a valid email address, like name@example.com",
      other: "as is",
    });
  } finally {
    t.close();
  }
});
