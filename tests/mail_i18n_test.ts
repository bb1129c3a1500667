// Account mail in the account's language: a reset in German and a sign-up notice in Arabic go
// through the app (and its KV queue), are captured, turned into the MIME source SMTP would send
// and parsed back with postal-mime: subject, text and HTML translated, the HTML's lang and dir set.

import assert from "node:assert/strict";
import PostalMime from "postal-mime";
import { makeTestApp } from "./support/app.ts";
import { createUser, setAccountLocale } from "../lib/accounts/users.ts";
import { buildRawMessage } from "../lib/email/smtp.ts";
import { passwordChangedMessage } from "../lib/accounts/emails.ts";
import type { MailMessage } from "../lib/email/mailer.ts";
import type { Config } from "../lib/common/config.ts";

async function parsed(config: Config, message: MailMessage) {
  const mail = await PostalMime.parse(await buildRawMessage(config, message));
  return { subject: mail.subject ?? "", text: mail.text ?? "", html: mail.html ?? "" };
}

Deno.test("a password reset for an account whose language is German is written in German", async () => {
  const t = await makeTestApp();
  try {
    const ada = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "x" });
    await setAccountLocale(t.kv, ada.id, "de");
    const res = await t.client().postForm("/reset", { email: "ada@example.org" });
    assert.equal(res.status, 303);
    const mail = await parsed(t.config, await t.mailer.arrival("ada@example.org"));
    assert.equal(mail.subject, "Setzen Sie Ihr Talkspace-Passwort zurück");
    assert.ok(mail.text.startsWith("Hallo Ada,\n\n"), mail.text);
    assert.match(mail.text, /Jemand \(hoffentlich Sie\) möchte das Passwort Ihres Talkspace-Kontos zurücksetzen\./);
    assert.match(mail.text, /Neues Passwort wählen:\nhttp:\/\/localhost:8000\/reset\/\S+/);
    assert.match(mail.text, /Der Link funktioniert einmal und ist 30 Minuten lang gültig\./);
    assert.ok(!/Reset your|Hello|Choose a new/.test(mail.text), "no English left in the text");
    assert.match(mail.html, /<html lang="de" dir="ltr">/);
    assert.match(mail.html, /<title>Setzen Sie Ihr Talkspace-Passwort zurück<\/title>/);
    assert.match(mail.html, /<strong>Neues Passwort wählen<\/strong>/);
    assert.match(mail.html, /Falls sich der Link nicht öffnet, kopieren Sie diese Adresse in Ihren Browser:/);
  } finally {
    t.close();
  }
});

Deno.test("an account whose language is Arabic gets its sign-up notice in Arabic, its HTML right to left", async () => {
  const t = await makeTestApp();
  try {
    const ada = await createUser(t.kv, { name: "Ada", email: "ada@example.org", passwordHash: "x" });
    await setAccountLocale(t.kv, ada.id, "ar");
    await t.client().postForm("/signup", { name: "Eve", email: "ada@example.org", password: "correct horse battery" });
    const mail = await parsed(t.config, await t.mailer.arrival("ada@example.org"));
    assert.equal(mail.subject, "حاول شخص ما إنشاء حساب في Talkspace باستخدام عنوانك");
    assert.ok(mail.text.startsWith("مرحبًا Ada،\n\n"), mail.text);
    assert.ok(
      mail.text.includes("إنشاء حساب جديد في Talkspace باستخدام ada@example.org."),
      "the address in the sentence",
    );
    assert.ok(mail.text.includes("فسجّل الدخول من http://localhost:8000/signin"), "the sign-in address");
    assert.match(mail.text, /اختيار كلمة مرور جديدة:\nhttp:\/\/localhost:8000\/reset\/\S+/);
    assert.match(mail.html, /<html lang="ar" dir="rtl">/);
    assert.match(mail.html, /<strong>اختيار كلمة مرور جديدة<\/strong>/);
    assert.ok(!/Someone|Hello/.test(mail.text + mail.html), "no English left");

    // A notice sent from the account page speaks the account's language the same way.
    const changed = await parsed(t.config, passwordChangedMessage({ ...ada, locale: "ar" }));
    assert.equal(changed.subject, "تم تغيير كلمة مرور Talkspace الخاصة بك");
    assert.match(changed.html, /<html lang="ar" dir="rtl">/);
  } finally {
    t.close();
  }
});

Deno.test("an account without a language, or with one Talkspace does not speak, is mailed in English", () => {
  for (const locale of [undefined, "fr"]) {
    const m = passwordChangedMessage({ name: "Ada", email: "ada@example.org", locale });
    assert.equal(m.subject, "Your Talkspace password was changed");
    assert.ok(m.text.startsWith("Hello Ada,\n\n"));
    assert.match(m.html, /<html lang="en" dir="ltr">/);
  }
});
