import assert from "node:assert/strict";
import { compileMessage } from "@lingui/message-utils/compileMessage";
import { CATALOGS, islandI18n, translator } from "./translate.ts";
import { dirOf, LOCALES, negotiateLocale } from "./locales.ts";
import { en as core } from "./messages/en.ts";
import { AREAS } from "./areas/index.ts";

/** The English source: the core's messages and every area's. */
const en: Record<string, string> = Object.assign({}, core, ...AREAS.map((a) => a.en));

/** The placeholder names a message uses ({name}, {count, plural, …}). */
function placeholders(message: string): string[] {
  return [...new Set([...message.matchAll(/\{\s*([A-Za-z_][\w]*)\s*(?:,|\})/g)].map((m) => m[1]))].sort();
}

Deno.test("every catalog has exactly English's keys, each message compiles and uses English's placeholders", () => {
  const keys = Object.keys(en).sort();
  for (const locale of LOCALES) {
    const catalog = CATALOGS[locale] as Record<string, string>;
    assert.deepEqual(Object.keys(catalog).sort(), keys, `${locale}: missing or extra keys`);
    for (const key of keys) {
      const message = catalog[key];
      assert.ok(message.trim(), `${locale} ${key} is empty`);
      assert.doesNotThrow(() => compileMessage(message), `${locale} ${key} is not valid ICU: ${message}`);
      assert.deepEqual(placeholders(message), placeholders(en[key]), `${locale} ${key}`);
    }
  }
});

Deno.test("translations: placeholders filled, plurals by each language's rules (Arabic's six forms)", () => {
  assert.equal(translator("en")("room.joiningAs", { name: "Ana" }), "Joining as Ana");
  assert.equal(translator("de")("room.waitingCount", { count: 1 }), "1 wartet");
  assert.equal(translator("de")("room.waitingCount", { count: 3 }), "3 warten");
  assert.equal(translator("es")("room.unreadCount", { count: 2 }), "2 mensajes sin leer");
  const ar = translator("ar");
  assert.equal(ar("room.unreadCount", { count: 0 }), "لا رسائل غير مقروءة");
  assert.equal(ar("room.unreadCount", { count: 2 }), "رسالتان غير مقروءتين");
  assert.equal(ar("room.unreadCount", { count: 5 }), "5 رسائل غير مقروءة", "few");
  assert.equal(ar("room.unreadCount", { count: 11 }), "11 رسالة غير مقروءة", "many");
  assert.notEqual(translator("de")("site.signIn"), translator("en")("site.signIn"));
});

Deno.test("areas do not redefine each other's keys or the core's", () => {
  const seen = new Set(Object.keys(core));
  for (const area of AREAS) {
    for (const key of Object.keys(area.en)) {
      assert.ok(!seen.has(key), `${key} is defined twice`);
      seen.add(key);
    }
  }
});

Deno.test("an island gets only its own messages", () => {
  const { locale, messages } = islandI18n("es", ["room."]);
  assert.equal(locale, "es");
  assert.ok(Object.keys(messages).length > 20);
  assert.ok(Object.keys(messages).every((k) => k.startsWith("room.")));
});

Deno.test("Accept-Language: q-values, primary subtags, exclusions and the English default; Arabic is RTL", () => {
  assert.equal(negotiateLocale("de-AT,de;q=0.9,en;q=0.8"), "de");
  assert.equal(negotiateLocale("fr-FR, es;q=0.7, en;q=0.5"), "es");
  assert.equal(negotiateLocale("en;q=0.4, ar;q=0.9"), "ar");
  assert.equal(negotiateLocale("de;q=0, es"), "es");
  assert.equal(negotiateLocale("fr, it"), "en");
  assert.equal(negotiateLocale("*"), "en");
  assert.equal(negotiateLocale(""), "en");
  assert.equal(negotiateLocale(null), "en");
  assert.equal(negotiateLocale("de;q=abc, es;q=0.1"), "es", "a malformed q counts as 0");
  assert.equal(dirOf("ar"), "rtl");
  assert.equal(dirOf("de"), "ltr");
});
