// Right to left in a real browser (issue 13): with Arabic chosen (Accept-Language ar, as a browser
// set to Arabic sends), pages render right to left — the document's direction, the site header's
// brand on the right and its navigation on the left, form labels aligned to the right — in Arabic,
// and they stay accessible (axe, WCAG 2.2 AA). The language picker then switches the same browser
// to German, left to right.

import assert from "node:assert/strict";
import { browserUnavailable, launchBrowser } from "./support/browser.ts";
import { startServer } from "./support/server.ts";
import { assertAccessible } from "./support/axe.ts";

const skip = browserUnavailable();
if (skip) console.log(`rtl browser tests skipped: ${skip}`);

Deno.test({
  name: "Arabic pages render right to left, stay accessible, and the picker switches to German",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startServer({ TALKSPACE_ENV: "development" });
    const browser = await launchBrowser();
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
      // The footer's picker: German from now on, left to right.
      await page.selectOption("#f-locale", "de");
      await Promise.all([page.waitForURL(`${server.url}/join`), page.click(".language-picker [type=submit]")]);
      assert.equal(await page.evaluate(() => document.documentElement.dir), "ltr");
      assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
      await page.getByRole("heading", { name: /An einem Meeting teilnehmen/ }).first().waitFor();
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
