// The meeting as an app on every screen (issue 13), end to end with real parts (Janus + gateway,
// the web app, headless Chromium in a network namespace; tests/support/meeting_harness.ts):
// - at 1280×800 every control (Leave and End included) is on screen with nothing to scroll, the
//   video takes most of the height, the invitation is in the Details panel;
// - a guest on a 390×844 touch phone gets the same pre-join as everyone (preview, devices, speaker
//   test, camera off) beside the name form, keeps the choices while waiting and after being let
//   in (joining by itself), reaches every control with the thumb, chats from the chat sheet;
// - a locked meeting says so to the people who have to wait;
// - when the host ends the meeting, the clients close their Janus connections without sending
//   anything with their revoked token (no "403 Unauthorized request").
// Runs only as root with Chromium and Janus installed; otherwise it is ignored with the reason.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import {
  meetingStackUnavailable,
  PHONE,
  poll,
  roomState as state,
  startMeetingStack,
  waitForEntryPreview,
  waitForFlow,
  waitForPreJoin,
  waitInMeeting,
} from "./support/meeting_harness.ts";
import { assertAccessible } from "./support/axe.ts";

const reason = await meetingStackUnavailable();
if (reason) console.log(`meeting_app_e2e_test: skipped: ${reason}`);

interface Box {
  shown: boolean;
  top: number;
  bottom: number;
  left: number;
  right: number;
  vw: number;
  vh: number;
}

/** Where an element is on screen (null when it is not in the page). */
function boxOf(page: Page, selector: string): Promise<Box | null> {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const shown = getComputedStyle(el).visibility !== "hidden" && r.width > 0 && r.height > 0;
    return { shown, top: r.top, bottom: r.bottom, left: r.left, right: r.right, vw: innerWidth, vh: innerHeight };
  }, selector);
}

/** Every selector is shown and entirely inside the viewport: reachable without scrolling. */
async function assertOnScreen(page: Page, who: string, selectors: string[]) {
  for (const sel of selectors) {
    const b = await boxOf(page, sel);
    assert.ok(b, `${who}: ${sel} is in the page`);
    assert.ok(b.shown, `${who}: ${sel} is shown`);
    assert.ok(
      b.top >= 0 && b.left >= 0 && b.bottom <= b.vh + 0.5 && b.right <= b.vw + 0.5,
      `${who}: ${sel} is inside the ${b.vw}×${b.vh} viewport: ${JSON.stringify(b)}`,
    );
  }
}

/** Pairs of the control bar's shown buttons whose boxes overlap (one covers part of the other). */
function overlaps(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const shown = [...document.querySelectorAll<HTMLElement>(".room-bar button")].map((el) => ({
      name: el.dataset.action ?? el.textContent ?? "",
      r: el.getBoundingClientRect(),
    })).filter((b) => b.r.width > 0 && b.r.height > 0);
    const out: string[] = [];
    for (let i = 0; i < shown.length; i++) {
      for (let j = i + 1; j < shown.length; j++) {
        const [a, b] = [shown[i].r, shown[j].r];
        const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (x > 0.5 && y > 0.5) out.push(`${shown[i].name} × ${shown[j].name}`);
      }
    }
    return out;
  });
}

/** Neither the document nor the app's main element can scroll. */
function scrolls(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const main = document.querySelector("main")!;
    return document.documentElement.scrollHeight > innerHeight + 1 || main.scrollHeight > main.clientHeight + 1;
  });
}

/** Frames Janus sent a page (its janus.js WebSocket), and whether that socket is closed. */
function watchJanus(page: Page, janusWsUrl: string) {
  const seen = { frames: [] as string[], closed: false, opened: 0 };
  page.on("websocket", (ws) => {
    if (!ws.url().startsWith(janusWsUrl)) return;
    seen.opened++;
    seen.closed = false;
    ws.on("framereceived", (f) => void seen.frames.push(String(f.payload)));
    ws.on("close", () => (seen.closed = true));
  });
  return seen;
}

const DESKTOP_CONTROLS = [
  "mute",
  "camera",
  "hand",
  "screen",
  "reactions",
  "layout",
  "settings",
  "leave",
  "end",
  "info",
  "participants",
  "chat",
].map((a) => `.room-bar [data-action=${a}]`);

const PHONE_CONTROLS = ["mute", "camera", "hand", "more", "leave", "participants", "chat"]
  .map((a) => `.room-bar [data-action=${a}]`);

Deno.test({
  name: "the meeting app on desktop and phone: controls on screen, one pre-join for all, lock shown, clean end",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { stack, seeded } = await startMeetingStack(async (kv) => {
      const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
      return {
        hostSession: await createSession(kv, host.id, "full", "e2e"),
        // The default: guests wait in the lobby.
        meeting: await createMeeting(kv, { hostId: host.id, title: "A meeting with a rather long title, to wrap" }),
      };
    }, { tag: "app" });
    const { hostSession, meeting } = seeded;
    const { base, newPage, janusWsUrl } = stack;
    const link = `${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
    try {
      // ---- the host at 1280×800 ---------------------------------------------------------------
      const hostPage = await newPage(hostSession.token, { viewport: { width: 1280, height: 800 } });
      await hostPage.goto(link);
      await waitForPreJoin(hostPage, "host");
      await assertAccessible(hostPage, "host's pre-join");
      assert.match(
        (await hostPage.textContent(".room-prejoin-invite .invite-url")) ?? "",
        new RegExp(`/m/${meeting.meetingId}`),
        "the host's pre-join offers the invitation",
      );
      await hostPage.click("button.room-join");
      const hostId = (await waitInMeeting(hostPage, "host")).participantId!;
      await assertOnScreen(hostPage, "host at 1280×800", DESKTOP_CONTROLS);
      // At every width down to a tablet's, the bar's buttons are on screen and none covers another.
      for (const width of [1100, 900, 700]) {
        await hostPage.setViewportSize({ width, height: 800 });
        await assertOnScreen(hostPage, `host at ${width} px`, DESKTOP_CONTROLS);
        assert.deepEqual(await overlaps(hostPage), [], `host at ${width} px: buttons overlap`);
      }
      await hostPage.setViewportSize({ width: 1280, height: 800 });
      assert.deepEqual(await overlaps(hostPage), [], "host at 1280 px: buttons overlap");
      assert.equal(await scrolls(hostPage), false, "the meeting page does not scroll at 1280×800");
      const stage = await boxOf(hostPage, ".room-stage");
      assert.ok(
        stage && stage.bottom - stage.top >= 0.75 * 800,
        `the video fills the height: ${JSON.stringify(stage)}`,
      );
      assert.equal(await hostPage.$(".site-header"), null, "no site header in the meeting");

      // ---- keyboard: M mutes, ? lists the keys, a changed key works, typing never triggers one, off is off
      const muted = async () => (await state(hostPage)).audioMuted === true;
      assert.equal(await muted(), false);
      await hostPage.keyboard.press("m");
      await poll("M to mute the host", muted);
      await hostPage.keyboard.press("?");
      await hostPage.waitForSelector("dialog.room-shortcuts[open]");
      await assertAccessible(hostPage, "keyboard shortcuts dialog");
      await hostPage.click("[data-change-shortcut=mute]");
      await hostPage.keyboard.press("v");
      assert.match((await hostPage.textContent(".room-shortcut-problem")) ?? "", /already used/, "V is the camera's");
      await hostPage.keyboard.press("k");
      assert.equal(await hostPage.textContent("[data-shortcut=mute] kbd"), "K");
      await hostPage.click("[data-action=close-shortcuts]");
      await hostPage.waitForSelector("dialog.room-shortcuts:not([open])", { state: "attached" });
      await hostPage.keyboard.press("m"); // not a shortcut any more: if it still muted, K below would unmute
      await hostPage.keyboard.press("k");
      await poll("K to unmute the host", async () => !(await muted()));
      await hostPage.click("[data-action=chat]");
      await hostPage.type(".room-chat-input", "kkk");
      assert.equal(await muted(), false, "typing K in the chat box is typing");
      await hostPage.fill(".room-chat-input", "");
      await hostPage.click("[data-action=close-chat]");
      await hostPage.keyboard.press("?");
      await hostPage.waitForSelector("dialog.room-shortcuts[open]");
      await hostPage.uncheck("input[name=shortcuts-enabled]");
      await hostPage.click("[data-action=close-shortcuts]");
      await hostPage.waitForSelector("dialog.room-shortcuts:not([open])", { state: "attached" });
      await hostPage.keyboard.press("k"); // off: nothing; the button below then mutes
      await hostPage.click(".room-bar [data-action=mute]");
      await poll("the button to mute the host", muted);
      await hostPage.click(".room-bar [data-action=mute]");
      await poll("the button to unmute the host", async () => !(await muted()));

      await hostPage.click("[data-action=info]");
      assert.match((await hostPage.textContent(".room-info .invite-url")) ?? "", new RegExp(`/m/${meeting.meetingId}`));
      assert.equal(await hostPage.textContent(".room-info .invite-passcode"), meeting.passcode);
      await hostPage.click("[data-action=close-info]");
      assert.equal(await hostPage.$(".room-info"), null, "the close button closes the panel");
      assert.equal(
        await hostPage.evaluate(() => document.activeElement?.getAttribute("data-action")),
        "info",
        "focus goes back to the panel's button",
      );

      // ---- a guest on a phone: the same pre-join beside the name form -------------------------
      const phone = await newPage(undefined, PHONE);
      const phoneJanus = watchJanus(phone, janusWsUrl);
      await phone.goto(link);
      await waitForEntryPreview(phone, "phone guest");
      await assertAccessible(phone, "guest's pre-join beside the name form, on a phone");
      assert.equal(await phone.textContent(".join-submit"), "Ask to join", "the lobby applies: Ask to join");
      for (const picker of ["#room-device-camera", "#room-device-microphone"]) {
        assert.ok(await phone.$(picker), `the entry pre-join has ${picker}`);
      }
      await phone.tap("[data-action=test-speaker]");
      await poll("the speaker test to play its chime", async () => {
        const s = await phone.getAttribute("[data-speaker-test]", "data-speaker-test");
        if (s === "failed") throw new Error("the speaker test failed");
        return s === "played";
      });
      await phone.tap("[data-action=prejoin-camera]");
      await poll("the camera to go off", () => phone.evaluate(() => !document.querySelector("video.room-video")));
      assert.equal(await phone.getAttribute("[data-action=prejoin-camera]", "aria-pressed"), "true");
      await phone.fill("input[name=name]", "Phil Phone");
      await phone.press("input[name=name]", "Enter");
      await poll("the phone guest to wait in the lobby", async () => (await state(phone)).phase === "lobby");
      assert.match((await phone.textContent(".room-waiting .room-preview-off")) ?? "", /Camera is off/);
      assert.ok(await phone.$(".room-waiting #room-device-microphone"), "devices can still be changed while waiting");
      assert.equal(await phone.$(".room-waiting [data-locked]"), null, "not locked: no lock notice");
      await assertAccessible(phone, "waiting room, on a phone");

      await poll("the host to see the knock", () => hostPage.$(".room-knock [data-action=admit]"));
      await hostPage.click(".room-knock [data-action=admit]");
      // Let in: the page reloads into the meeting and joins by itself, with the camera still off.
      const phoneState = await waitInMeeting(phone, "phone guest", 45_000);
      const announced = (text: string) =>
        poll(
          `the host's screen reader to hear "${text}"`,
          async () => ((await hostPage.textContent("[data-announcer]")) ?? "").includes(text),
        );
      await announced("Phil Phone joined");
      assert.equal(phoneState.cameraOn, false, "the pre-join's camera-off choice holds in the meeting");
      assert.equal(await phone.$("button.room-join:not([disabled])"), null, "no second pre-join");
      await assertOnScreen(phone, "phone at 390×844", PHONE_CONTROLS);
      assert.deepEqual(await overlaps(phone), [], "phone: buttons overlap");
      assert.equal(await scrolls(phone), false, "the meeting page does not scroll on the phone");
      const more = await boxOf(phone, ".room-controls-more");
      assert.ok(!more?.shown, "the More sheet starts closed");
      await phone.tap("[data-action=more]");
      await assertOnScreen(phone, "phone's More sheet", [".room-controls-more [data-action=layout]"]);
      await phone.tap("[data-action=more]");

      // Chat from the phone's sheet reaches the host.
      await phone.tap("[data-action=chat]");
      await assertOnScreen(phone, "phone's chat sheet", [".room-chat-input", ".room-bar [data-action=leave]"]);
      const text = `from the phone ${crypto.randomUUID().slice(0, 8)}`;
      await phone.fill(".room-chat-input", text);
      await phone.press(".room-chat-input", "Enter");
      await poll("the host to get the phone's message", async () => {
        const chat = (await state(hostPage)).chat as { from: string; text: string }[];
        return chat.some((m) => m.text === text && m.from === phoneState.participantId);
      });
      await announced(`Message from Phil Phone: ${text}`);
      // The phone's camera was off since its pre-join; with it on, going to the background pauses it
      // (the host sees no video from it) and coming back resumes it. The page's visibility is set
      // as the browser would set it when the app is switched away from.
      await phone.tap(".room-bar [data-action=camera]");
      const phoneVideo = async () => {
        const p = ((await state(hostPage)).participants as { participantId: string; state: { video: boolean } }[])
          .find((x) => x.participantId === phoneState.participantId);
        return p?.state.video ?? null;
      };
      await poll("the host to see the phone's camera", async () => (await phoneVideo()) === true);
      const setVisibility = (hidden: boolean) =>
        phone.evaluate((h) => {
          Object.defineProperty(document, "visibilityState", {
            configurable: true,
            get: () => h ? "hidden" : "visible",
          });
          document.dispatchEvent(new Event("visibilitychange"));
        }, hidden);
      await setVisibility(true);
      await poll("the phone to pause its camera in the background", async () => (await state(phone)).videoPaused);
      await poll("the host to see the phone's video paused", async () => (await phoneVideo()) === false);
      assert.equal(
        await phone.evaluate(() =>
          (globalThis as unknown as { __talkspace: { state(): { media: string } } })
            .__talkspace.state().media
        ),
        "connected",
        "audio and the connection keep going",
      );
      await setVisibility(false);
      await poll("the host to see the phone's video again", async () => (await phoneVideo()) === true);
      // Talking: the host hears and sees the phone, the phone hears and sees the host.
      await waitForFlow(hostPage, phoneState.participantId!, "the host receiving the phone");
      await waitForFlow(phone, hostId, "the phone receiving the host");

      await phone.tap("[data-action=participants]");
      assert.equal(await phone.$(".room-chat"), null, "on a phone one sheet at a time");
      await phone.tap("[data-action=close-participants]");

      // ---- locked: the people who wait are told why --------------------------------------------
      await hostPage.click("[data-action=participants]");
      await hostPage.click(".room-host-settings summary");
      await hostPage.click("[data-action=chat]");
      for (const scheme of ["light", "dark"] as const) {
        await hostPage.emulateMedia({ colorScheme: scheme });
        await assertAccessible(hostPage, `in the meeting with participants and chat open (${scheme})`);
      }
      await hostPage.emulateMedia({ colorScheme: "light" });
      await hostPage.check(".room-host-settings input[name=locked]");
      await poll(
        "the meeting to be locked",
        async () => ((await state(hostPage)).settings as { locked?: boolean }).locked === true,
      );
      await hostPage.waitForSelector(".room-bar .room-lock-badge");
      const late = await newPage(undefined, PHONE);
      await late.goto(link);
      await waitForEntryPreview(late, "late guest");
      assert.ok(await late.$(".room-locked-notice[data-locked]"), "the entry page says the meeting is locked");
      await late.fill("input[name=name]", "Lola Late");
      await late.press("input[name=name]", "Enter");
      await poll("the late guest to wait", async () => (await state(late)).phase === "lobby");
      assert.match((await late.textContent(".room-waiting [data-locked]")) ?? "", /locked/);
      // Let in, the second phone joins by itself and leaves with its own Leave button.
      await poll("the host to see the late knock", () => hostPage.$(".room-lobby [data-action=admit]"));
      await hostPage.click(".room-lobby [data-action=admit]");
      const lateId = (await waitInMeeting(late, "late phone guest", 45_000)).participantId!;
      await late.tap(".room-bar [data-action=leave]");
      await poll("the late phone guest to have left", async () => (await state(late)).phase === "left");
      await poll("the host to see the late guest go", async () => {
        const people = (await state(hostPage)).participants as { participantId: string }[];
        return !people.some((x) => x.participantId === lateId);
      });

      // ---- the host ends it: the phone's Janus connection closes without using its token -------
      assert.ok(phoneJanus.opened > 0, "the phone had a Janus connection");
      await hostPage.click(".room-bar [data-action=end]");
      await poll("the phone to see the end", async () => (await state(phone)).phase === "ended");
      await assertAccessible(phone, "meeting ended, on a phone");
      await poll("the phone's Janus socket to close", () => phoneJanus.closed);
      const refused = phoneJanus.frames.filter((f) => /"code"\s*:\s*403|Unauthorized/.test(f));
      assert.deepEqual(refused, [], "nothing was sent to Janus with the revoked token");
      assert.equal(
        stack.consoleLines.filter((l) => /403|Unauthorized request/.test(l)).length,
        0,
        `no 403 in any console:\n${stack.consoleLines.join("\n")}`,
      );
    } catch (err) {
      console.error(stack.dump());
      throw err;
    } finally {
      await stack.stop();
    }
  },
});
