// Right to left in a real browser (issue 13): with Arabic chosen (Accept-Language ar, as a browser
// set to Arabic sends), pages render right to left — the document's direction, the site header's
// brand on the right and its navigation on the left, form labels aligned to the right — in Arabic,
// and they stay accessible (axe, WCAG 2.2 AA). The language picker then switches the same browser
// to German, left to right. The meeting island speaks both: its messages come in the language's
// catalog chunk (not in the page), loaded before it hydrates, so no English or raw key ever shows,
// and the server's refusals of forged socket actions show in the person's language too.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserUnavailable, launchBrowser } from "./support/browser.ts";
import { startServer } from "./support/server.ts";
import { assertAccessible } from "./support/axe.ts";
import { CATALOGS, translator } from "../lib/i18n/translate.ts";

/** English messages of the meeting island that the other languages say differently. */
const [en, arabic, german] = [CATALOGS.en, CATALOGS.ar, CATALOGS.de] as Record<string, string>[];
const ENGLISH_ROOM = Object.entries(en).filter(([k, v]) =>
  k.startsWith("room.") && !v.includes("{") && v !== arabic[k] && v !== german[k]
).map(([, v]) => v);

/**
 * Opens the host's meeting page and waits until the island has hydrated (Join enabled), recording
 * every text the meeting root ever showed, from the server's HTML on: English or a raw key would
 * be a flash of untranslated text. Returns those texts and the catalog chunk the page loaded.
 */
async function openMeeting(page: Page, url: string) {
  const chunks: string[] = [];
  const onResponse = (r: { url(): string }) => {
    const m = /\/_islands\/(MeetingRoom-[a-z]{2}-[0-9a-f]{12}\.js)$/.exec(r.url());
    if (m) chunks.push(m[1]);
  };
  page.on("response", onResponse);
  await page.addInitScript(() => {
    const seen: string[] = [];
    (globalThis as { __seen?: string[] }).__seen = seen;
    const note = (n: Node) => {
      const text = n.textContent?.trim();
      if (text) seen.push(text);
    };
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === "characterData") note(r.target);
        r.addedNodes.forEach((n) => n.nodeType === Node.TEXT_NODE ? note(n) : n.childNodes.forEach(note));
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
  await page.goto(url);
  await page.locator("button.room-join:not([disabled])").waitFor({ timeout: 20_000 });
  page.off("response", onResponse);
  const seen = await page.evaluate(() => (globalThis as { __seen?: string[] }).__seen ?? []);
  const now = await page.locator("#meeting-root").innerText();
  return { chunks, texts: [...seen, ...now.split("\n")].map((s) => s.trim()).filter(Boolean) };
}

/**
 * Joins the meeting open in `page`, sends the socket `sends` unchecked by the UI (as a forged or
 * raced action would arrive), and returns the notices the refusals showed, once there are as many.
 */
async function refusalNotices(page: Page, sends: Record<string, unknown>[]): Promise<string[]> {
  type Hook = { state(): { phase: string; socket: string }; sendRaw(m: unknown): boolean };
  await page.click("button.room-join");
  await page.waitForFunction(
    () => {
      const s = (globalThis as { __talkspace?: Hook }).__talkspace?.state();
      return s?.phase === "meeting" && s.socket === "open";
    },
    null,
    { timeout: 20_000 },
  );
  for (const m of sends) {
    assert.ok(await page.evaluate((m) => (globalThis as unknown as { __talkspace: Hook }).__talkspace.sendRaw(m), m));
  }
  await page.locator(".room-notice[role=alert]").nth(sends.length - 1).waitFor({ timeout: 20_000 });
  return await page.locator(".room-notice[role=alert]").allInnerTexts();
}

/** Forged actions the server refuses: an empty chat message (the controls' own rule) and a recording
 * with no media gateway (the recording rules' domain error). */
const FORGED = [{ type: "chat", text: "   " }, { type: "record", on: true }];
const REFUSALS = ["room.refused.chatEmpty", "room.refused.recordNoGateway"] as const;

function assertRefusedIn(notices: string[], locale: "ar" | "de") {
  for (const key of REFUSALS) {
    const said = translator(locale)(key);
    assert.ok(notices.some((n) => n.includes(said)), `${locale}: "${said}" not among ${JSON.stringify(notices)}`);
    assert.ok(!notices.some((n) => n.includes(en[key])), `${locale}: the English "${en[key]}" showed`);
  }
  assert.ok(!notices.some((n) => /room\.refused\./.test(n)), `${locale}: a raw key showed ${JSON.stringify(notices)}`);
}

function assertSpoken(texts: string[], where: string) {
  const english = texts.filter((t) => ENGLISH_ROOM.includes(t) || /^(room|copy)\.[A-Za-z]+$/.test(t));
  assert.deepEqual(english, [], `${where}: the meeting island showed English or raw keys`);
}

const skip = browserUnavailable();
if (skip) console.log(`rtl browser tests skipped: ${skip}`);

Deno.test({
  name: "Arabic pages render right to left, stay accessible, and the picker switches to German; the meeting island too",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startServer({ TALKSPACE_ENV: "development" });
    // Fake devices: the meeting's pre-join screen asks for camera and microphone.
    const browser = await launchBrowser(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
    try {
      const context = await browser.newContext({ locale: "ar", extraHTTPHeaders: { "accept-language": "ar" } });
      const page = await context.newPage();
      for (
        const [path, heading] of [["/", /خادمك الخاص/], ["/signin", /تسجيل الدخول/], ["/join", /الانضمام/]] as const
      ) {
        const res = await page.goto(`${server.url}${path}`);
        assert.equal(res?.status(), 200, path);
        await page.getByRole("heading", { name: heading }).first().waitFor();
        const layout = await page.evaluate(() => {
          const brand = document.querySelector(".site-header .brand")!.getBoundingClientRect();
          const nav = document.querySelector(".site-header nav")!.getBoundingClientRect();
          const label = document.querySelector("main label");
          return {
            dir: document.documentElement.dir,
            lang: document.documentElement.lang,
            direction: getComputedStyle(document.body).direction,
            brandRight: brand.right,
            navRight: nav.right,
            width: innerWidth,
            labelAlign: label ? getComputedStyle(label).textAlign : "start",
            labelRight: label ? label.getBoundingClientRect().right : 0,
            mainRight: document.querySelector("main form")?.getBoundingClientRect().right ?? 0,
          };
        });
        assert.deepEqual([layout.dir, layout.lang, layout.direction], ["rtl", "ar", "rtl"], path);
        assert.ok(
          layout.brandRight > layout.navRight,
          `${path}: the brand is right of the navigation ${JSON.stringify(layout)}`,
        );
        if (layout.labelRight) {
          assert.ok(
            Math.abs(layout.labelRight - layout.mainRight) < 40,
            `${path}: labels start at the form's right edge ${JSON.stringify(layout)}`,
          );
        }
        await assertAccessible(page, `${path} in Arabic`);
      }
      // A host's meeting in Arabic: sign up, sign in, start a meeting from the dashboard.
      await page.goto(`${server.url}/signup`);
      await page.fill("input[name=name]", "هالة");
      await page.fill("input[name=email]", "hala@example.test");
      await page.fill("input[name=password]", "correct horse battery staple 42");
      await Promise.all([page.waitForURL(/notice=check-email/), page.click("form[action='/signup'] [type=submit]")]);
      await page.goto(`${server.url}/signin`);
      await page.fill("form[action='/signin'] input[name=email]", "hala@example.test");
      await page.fill("form[action='/signin'] input[name=password]", "correct horse battery staple 42");
      await Promise.all([
        page.waitForURL((u) => u.pathname !== "/signin"),
        page.click("form[action='/signin'] [type=submit]"),
      ]);
      await page.goto(`${server.url}/dashboard`);
      await Promise.all([page.waitForURL(/\/m\/\d+$/), page.click("form[action='/meetings'] [type=submit]")]);
      const meetingUrl = page.url();
      const ar = await openMeeting(page, meetingUrl);
      assert.deepEqual(ar.chunks.map((c) => c.slice(0, 14)), ["MeetingRoom-ar"], "the Arabic catalog chunk, once");
      assert.equal(await page.locator("button.room-join").innerText(), translator("ar")("room.joinNow"));
      assert.ok(ar.texts.includes(translator("ar")("room.ready")), ar.texts.join(" | "));
      assert.equal(await page.evaluate(() => document.documentElement.dir), "rtl");
      assertSpoken(ar.texts, "Arabic meeting page");
      assertRefusedIn(await refusalNotices(page, FORGED), "ar");

      // The footer's picker: German from now on, left to right (the account keeps the choice).
      await page.goto(`${server.url}/join`);
      await page.selectOption("#f-locale", "de");
      await Promise.all([page.waitForURL(`${server.url}/join`), page.click(".language-picker [type=submit]")]);
      assert.equal(await page.evaluate(() => document.documentElement.dir), "ltr");
      assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
      await page.getByRole("heading", { name: /An einem Meeting teilnehmen/ }).first().waitFor();
      const de = await openMeeting(page, meetingUrl);
      assert.deepEqual(de.chunks.map((c) => c.slice(0, 14)), ["MeetingRoom-de"], "now the German one");
      assert.equal(await page.locator("button.room-join").innerText(), "Jetzt teilnehmen");
      assertSpoken(de.texts, "German meeting page");
      assertRefusedIn(await refusalNotices(page, FORGED), "de");
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
