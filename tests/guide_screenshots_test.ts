// The user guide's screenshots (docs/guide/images/), taken from the real product so they stay
// current: the site pages through the real web process and Chromium, the meeting through the whole
// meeting stack (Janus, gateway, web app, Chromium in a network namespace). Before each shot the
// page's state is asserted, so a changed page fails here instead of leaving a wrong picture.
// Images are written only with GUIDE_SCREENSHOTS=write (then commit them); otherwise the same
// steps run and nothing is written, so CI never dirties the tree. Also: the guide references
// exactly the images this test takes, and every one of them exists.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { GUIDE_DIR, loadGuide } from "../lib/web/guide.ts";
import { browserUnavailable, buildIslands, launchBrowser } from "./support/browser.ts";
import { startServer } from "./support/server.ts";
import {
  meetingStackUnavailable,
  PHONE,
  poll,
  roomState,
  startMeetingStack,
  waitForEntryPreview,
  waitForPreJoin,
  waitInMeeting,
} from "./support/meeting_harness.ts";

const WRITE = Deno.env.get("GUIDE_SCREENSHOTS") === "write";
const IMAGES = `${GUIDE_DIR}images/`;

/** Every screenshot this test takes: the site pages', then the meeting's. */
const SITE_SHOTS = ["schedule-form.png", "dashboard.png", "admin-users.png"];
const MEETING_SHOTS = ["prejoin.png", "participants-lobby.png", "meeting.png", "chat.png", "phone-more.png"];

const browserSkip = browserUnavailable();
const stackSkip = await meetingStackUnavailable();
if (browserSkip) console.log(`guide_screenshots_test: site pages skipped: ${browserSkip}`);
if (stackSkip) console.log(`guide_screenshots_test: meeting screenshots skipped: ${stackSkip}`);
if (!WRITE) console.log("guide_screenshots_test: checking only (GUIDE_SCREENSHOTS=write writes the images)");

/** Takes the screenshot `name` of what `page` shows now; written to the guide only when asked. */
async function shot(page: Page, name: string, opts: { fullPage?: boolean } = {}) {
  const png = await page.screenshot({ type: "png", fullPage: opts.fullPage ?? false, animations: "disabled" });
  assert.ok(png.length > 1000, `${name}: a real image`);
  if (WRITE) await Deno.writeFile(`${IMAGES}${name}`, png);
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.textContent(selector)) ?? "").trim();
}

Deno.test("guide: the pages reference exactly the screenshots this test takes, and each exists", async () => {
  const guide = loadGuide(); // throws when an image is missing or has no alt text
  const referenced = new Set([guide.index, ...guide.topics].flatMap((p) => p.images));
  assert.deepEqual([...referenced].sort(), [...SITE_SHOTS, ...MEETING_SHOTS].sort());
  for (const name of referenced) {
    const info = await Deno.stat(`${IMAGES}${name}`);
    assert.ok(info.isFile && info.size > 1000, `${name} exists`);
  }
  const onDisk = [...Deno.readDirSync(IMAGES)].map((e) => e.name).sort();
  assert.deepEqual(onDisk, [...referenced].sort(), "no image in docs/guide/images/ that the guide does not show");
});

Deno.test({
  name: "guide screenshots: schedule form, dashboard and admin accounts from the real site",
  ignore: browserSkip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await buildIslands();
    const dataDir = await Deno.makeTempDir({ prefix: "talkspace-guide-site-" });
    const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
    let token: string;
    try {
      // The first account is the administrator; a few more fill the accounts list.
      const admin = await createUser(kv, {
        name: "Ada Admin",
        email: "ada@example.test",
        passwordHash: "x",
        timeZone: "Europe/Berlin",
      });
      for (const [name, email] of [["Ben Baker", "ben@example.test"], ["Chloé Carter", "chloe@example.test"]]) {
        await createUser(kv, { name, email, passwordHash: "x" });
      }
      token = (await createSession(kv, admin.id, "full", "guide")).token;
    } finally {
      kv.close();
    }
    const server = await startServer({ DATA_DIR: dataDir, TALKSPACE_LOG: "quiet" });
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      await context.addCookies([{ name: "ts_session", value: token, url: server.url }]);
      const page = await context.newPage();

      // The schedule form, filled in as a weekly meeting.
      await page.goto(`${server.url}/meetings/new`);
      assert.equal(await text(page, "h1"), "Schedule a meeting");
      assert.match(await page.inputValue("#f-date"), /^\d{4}-\d{2}-\d{2}$/, "a default date");
      assert.match(await page.inputValue("#f-time"), /^\d{2}:(00|30)$/, "the next half hour");
      assert.equal(await page.inputValue("#f-timeZone"), "Europe/Berlin", "the person's own zone");
      await page.fill("#f-title", "Weekly team meeting");
      await page.selectOption("#f-repeat", "weekly");
      // A weekly series includes the weekday of its first meeting (the default date's).
      const day =
        ["SU", "MO", "TU", "WE", "TH", "FR", "SA"][new Date(`${await page.inputValue("#f-date")}T12:00Z`).getUTCDay()];
      await page.check(`input[name=day_${day}]`);
      assert.equal(await page.isChecked("input[name=ends][value=never]"), true, "a series never ends by default");
      await shot(page, "schedule-form.png", { fullPage: true });
      await Promise.all([page.waitForNavigation(), page.click("main form button[type=submit]")]);
      assert.equal(await text(page, "h1"), "Weekly team meeting", await text(page, "main"));
      assert.match(await text(page, ".schedule-recurrence"), /^Every \w+day at \d\d:\d\d/);

      // The dashboard with that meeting among the upcoming ones.
      await page.goto(`${server.url}/dashboard`);
      assert.equal(await text(page, "h1"), "Hello, Ada Admin");
      assert.ok(await page.$("form[action='/meetings'] button:text('New meeting')"), "New meeting");
      assert.match(await text(page, ".upcoming-list"), /Weekly team meeting/);
      await shot(page, "dashboard.png", { fullPage: true });

      // The administrator's list of accounts.
      await page.goto(`${server.url}/admin/users`);
      assert.equal(await text(page, "h1"), "Accounts");
      const rows = await page.$$eval("table tbody tr", (trs) => trs.map((tr) => tr.textContent ?? ""));
      assert.equal(rows.length, 3, rows.join("\n"));
      assert.ok(rows.some((r) => r.includes("Chloé Carter")) && rows.some((r) => r.includes("admin")));
      await shot(page, "admin-users.png");
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "guide screenshots: pre-join, lobby, meeting, chat and a phone's More sheet from the real meeting stack",
  ignore: stackSkip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { stack, seeded } = await startMeetingStack(async (kv) => {
      const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
      return {
        hostSession: await createSession(kv, host.id, "full", "guide"),
        // The default settings: guests wait in the lobby.
        meeting: await createMeeting(kv, { hostId: host.id, title: "Project kick-off" }),
      };
    }, { tag: "guide" });
    const { hostSession, meeting } = seeded;
    const link = `${stack.base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
    try {
      // The host's pre-join screen.
      // 1280×800: the size tests/meeting_app_e2e_test.ts holds the control bar to (at 1100 the
      // panel buttons cover End for all).
      const host = await stack.newPage(hostSession.token, { viewport: { width: 1280, height: 800 } });
      await host.goto(link);
      await waitForPreJoin(host, "host");
      assert.equal(await text(host, "#room-prejoin-title"), "Ready to join?");
      assert.equal(await text(host, "button.room-join"), "Join now");
      for (const sel of ["[data-action=prejoin-mic]", "[data-action=prejoin-camera]", "#room-device-camera"]) {
        assert.ok(await host.$(sel), `the pre-join has ${sel}`);
      }
      assert.ok(await host.$("[data-action=test-speaker]"), "Test speaker");
      await shot(host, "prejoin.png");
      await host.click("button.room-join");
      await waitInMeeting(host, "host");

      // A guest on a phone asks to join; the host's participant list shows the lobby.
      const phone = await stack.newPage(undefined, PHONE);
      await phone.goto(link);
      await waitForEntryPreview(phone, "phone guest");
      assert.equal(await text(phone, ".join-submit"), "Ask to join");
      await phone.fill("input[name=name]", "Phil Phone");
      await phone.press("input[name=name]", "Enter");
      await poll("the guest to wait in the lobby", async () => (await roomState(phone)).phase === "lobby");
      await host.click(".room-bar [data-action=participants]");
      await host.waitForSelector(".room-lobby [data-action=admit]");
      assert.match(await text(host, ".room-lobby"), /Waiting to join\s*1.*Phil Phone.*Guest/s);
      assert.ok(await host.$(".room-lobby [data-action=deny]"), "Deny");
      assert.equal(await text(host, ".room-bar [data-badge=lobby]"), "1", "the lobby badge");
      await host.click(".room-host-settings summary");
      await host.waitForSelector(".room-host-settings input[name=locked]");
      await shot(host, "participants-lobby.png");

      // Admitted: the meeting with both people and the whole control bar.
      await host.click(".room-lobby [data-action=admit]");
      await waitInMeeting(phone, "phone guest", 45_000);
      await poll(
        "the host to see two tiles with video",
        () =>
          host.evaluate(() =>
            document.querySelectorAll(".room-stage video").length >= 2 &&
            [...document.querySelectorAll<HTMLVideoElement>(".room-stage video")].every((v) => v.videoWidth > 0)
          ),
      );
      await host.click("[data-action=close-participants]");
      assert.equal(await host.$(".room-panels"), null, "no panel open");
      for (const action of ["mute", "camera", "hand", "screen", "reactions", "layout", "settings", "leave", "end"]) {
        assert.ok(await host.isVisible(`.room-bar [data-action=${action}]`), `${action} is on the control bar`);
      }
      assert.equal(await text(host, ".room-bar .room-title"), "Project kick-off");
      const overlap = await host.evaluate(() => {
        const end = document.querySelector(".room-bar [data-action=end]")!.getBoundingClientRect();
        const panels = document.querySelector(".room-bar-panels")!.getBoundingClientRect();
        return end.right > panels.left;
      });
      assert.equal(overlap, false, "End for all is not covered by the panel buttons");
      await shot(host, "meeting.png");

      // A chat message from the phone, read in the host's chat panel.
      await phone.tap("[data-action=chat]");
      await phone.fill(".room-chat-input", "Hello from my phone! Can everyone hear me?");
      await phone.press(".room-chat-input", "Enter");
      await host.click(".room-bar [data-action=chat]");
      await host.waitForSelector(".room-chat-message:has-text('Hello from my phone')");
      assert.match(await text(host, ".room-chat-message"), /Phil Phone/);
      assert.equal(await host.inputValue(".room-chat-form select[name=to]"), "", "To: Everyone");
      await shot(host, "chat.png");

      // The phone: icon-only bar, the More sheet open.
      await phone.tap("[data-action=close-chat]");
      await phone.tap("[data-action=more]");
      await phone.waitForSelector(".room-controls-more.is-open");
      for (const action of ["reactions", "layout", "settings"]) {
        assert.ok(await phone.isVisible(`.room-controls-more [data-action=${action}]`), `${action} is in More`);
      }
      for (const action of ["mute", "camera", "hand", "more", "leave", "participants", "chat"]) {
        assert.ok(await phone.isVisible(`.room-bar [data-action=${action}]`), `${action} is on the phone's bar`);
      }
      const viewport = phone.viewportSize();
      assert.deepEqual(viewport, { width: 390, height: 844 });
      await shot(phone, "phone-more.png");
    } catch (err) {
      console.error(stack.dump());
      throw err;
    } finally {
      await stack.stop();
    }
  },
});
