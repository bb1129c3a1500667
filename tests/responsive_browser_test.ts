// Phones from 320 px wide (issue 13): the site's pages — landing, sign-in, join, a guest's pre-join,
// the dashboard, the schedule form, meeting history — fit the width with nothing to scroll sideways
// and every field and button inside the screen, in English and in the languages with longer words
// (German) and right-to-left text (Arabic). Real web process, real Chromium, a touch viewport.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { browserUnavailable, launchBrowser } from "./support/browser.ts";
import { startServer } from "./support/server.ts";
import { signedIn } from "./support/meeting_sockets.ts";
import { createMeeting } from "../lib/meetings/store.ts";

const skip = browserUnavailable();
if (skip) console.log(`responsive browser tests skipped: ${skip}`);

/** What sticks out of a `width`-px screen: the page's scroll width and any control wider than the view. */
function overflow(page: Page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const outside = [...document.querySelectorAll("input, select, textarea, button, a.button, h1, .card, table")]
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && (r.left < -1 || r.right > width + 1);
      })
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${el.className}`.slice(0, 80));
    return { width, scrollWidth: document.documentElement.scrollWidth, outside };
  });
}

Deno.test({
  name: "site pages fit a 320 px phone in English, German and Arabic: no sideways scrolling, controls on screen",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startServer({ TALKSPACE_ENV: "development" });
    const kv = await Deno.openKv(`${server.dataDir}/talkspace.kv`);
    const browser = await launchBrowser();
    try {
      const host = await signedIn(kv, server, "Hanna");
      const meeting = await createMeeting(kv, { hostId: host.userId, title: "A meeting title that is rather long" });
      const pages: [string, boolean][] = [
        ["/", false],
        ["/signin", false],
        ["/signup", false],
        ["/join", false],
        [`/m/${meeting.meetingId}?pwd=${meeting.linkToken}`, false],
        ["/dashboard", true],
        ["/meetings/new", true],
        ["/meetings", true],
        ["/account", true],
      ];
      for (const lang of ["en", "de", "ar"]) {
        const context = await browser.newContext({
          viewport: { width: 320, height: 640 },
          isMobile: true,
          hasTouch: true,
          extraHTTPHeaders: { "accept-language": lang },
        });
        await context.addCookies([{
          name: "ts_session",
          value: host.client.cookies.get("ts_session")!,
          url: server.url,
        }]);
        const page = await context.newPage();
        for (const [path, signedInPage] of pages) {
          if (!signedInPage) await context.clearCookies();
          else if (!(await context.cookies()).some((c) => c.name === "ts_session")) {
            await context.addCookies([{
              name: "ts_session",
              value: host.client.cookies.get("ts_session")!,
              url: server.url,
            }]);
          }
          const res = await page.goto(`${server.url}${path}`);
          assert.equal(res?.status(), 200, `${lang} ${path} answered ${res?.status()}`);
          await page.locator("h1").first().waitFor();
          const o = await overflow(page);
          assert.ok(o.scrollWidth <= o.width + 1, `${lang} ${path}: scrolls sideways (${o.scrollWidth} > ${o.width})`);
          assert.deepEqual(o.outside, [], `${lang} ${path}: outside the 320 px screen`);
        }
        await context.close();
      }
    } finally {
      await browser.close();
      kv.close();
      await server.stop();
      await Deno.remove(server.dataDir, { recursive: true }).catch(() => {});
    }
  },
});
