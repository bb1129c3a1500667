// The phone menu's texts and voices: every prompt call control plays has its text in every
// language from the catalogs (lib/i18n/areas/telephony.ts), plain words with nothing left to fill
// in (the area's text is the formatted message), translated rather than English; every language has an espeak-ng voice, and this machine's
// espeak-ng has each of them.

import assert from "node:assert/strict";
import { LOCALES } from "../../lib/i18n/locales.ts";
import { translator } from "../../lib/i18n/translate.ts";
import { PROMPT_NAMES, promptText, VOICES } from "./prompts.ts";
import { skipUnlessPrograms } from "../../tests/support/tools.ts";

Deno.test("every prompt has its own text in every language, with nothing left to fill in", () => {
  // The prompts call control plays (gateway/calls/controller.ts names them through PromptName).
  for (
    const name of ["welcome", "passcode", "notFound", "wrongPasscode", "lobby", "locked", "pleaseWait", "goodbye"]
  ) {
    assert.ok((PROMPT_NAMES as string[]).includes(name), name);
  }
  for (const name of PROMPT_NAMES) {
    const english = promptText("en", name);
    for (const locale of LOCALES) {
      const text = promptText(locale, name);
      assert.ok(text.trim().length > 3, `${locale} ${name} is empty`);
      assert.doesNotMatch(text, /[{}']/, `${locale} ${name} has ICU syntax: ${text}`);
      assert.equal(text, translator(locale)(`telephony.${name}`), "what is spoken is the formatted message");
      if (locale !== "en") assert.notEqual(text, english, `${locale} ${name} is not translated`);
    }
  }
  assert.match(promptText("de", "welcome"), /Raute-Taste/);
  assert.match(promptText("es", "passcode"), /almohadilla/);
  assert.match(promptText("ar", "welcome"), /المُرَبَّعِ/);
});

Deno.test({
  name: "every language has an espeak-ng voice this machine has",
  ignore: skipUnlessPrograms("espeak-ng voices", "espeak-ng") !== null,
}, async () => {
  const out = await new Deno.Command("espeak-ng", { args: ["--voices"], stdout: "piped" }).output();
  // Columns: Pty Language Age/Gender VoiceName File Other Languages.
  const voices = new Set(
    new TextDecoder().decode(out.stdout).split("\n").slice(1).map((l) => l.trim().split(/\s+/)[1]).filter(Boolean),
  );
  for (const locale of LOCALES) {
    assert.ok(voices.has(VOICES[locale]), `${locale}: no espeak-ng voice ${VOICES[locale]}`);
  }
});
