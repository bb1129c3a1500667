// Running a meeting, end to end with real parts (Janus + gateway, the web app, headless Chromium
// in a network namespace; see tests/support/meeting_harness.ts): the lobby (admit, deny, no media
// before admission), host mute enforced at the SFU even against a client that keeps sending,
// ask-to-unmute, removal without rejoining, chat to everyone and privately with history after a
// reload, a forged host action refused, and attendance after the meeting ends. Four browsers at most.
// Runs only as root with Chromium and Janus installed; otherwise it is ignored with the reason.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { RawJanus } from "./support/gateway.ts";
import {
  meetingStackUnavailable,
  poll,
  roomState as state,
  roomStats as stats,
  seedHostAndMember,
  startMeetingStack,
  waitForAudioStopped,
  waitForFlow,
  waitForPreJoin,
  waitInMeeting,
} from "./support/meeting_harness.ts";

const reason = await meetingStackUnavailable();
if (reason) console.log(`meeting_controls_e2e_test: skipped: ${reason}`);

type Hook = {
  received(): { type: string; kind?: string; code?: string; action?: string; data?: unknown; message?: string }[];
  sendRaw(msg: Record<string, unknown>): boolean;
  forceAudio(): Promise<boolean>;
};
const hook = <T>(page: Page, fn: (h: Hook) => T | Promise<T>): Promise<T> =>
  page.evaluate(`(${fn.toString()})(globalThis.__talkspace)`) as Promise<T>;

Deno.test({
  name: "running a meeting end to end: lobby, SFU-enforced mute, removal, chat, forged actions, attendance",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { stack, seeded } = await startMeetingStack((kv) => seedHostAndMember(kv, "Controls"), { tag: "controls" });
    const { hostSession, memberSession, meeting } = seeded;
    const { base, timings, newPage } = stack;
    const link = `${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
    const t = (k: string, since: number) => (timings[k] = performance.now() - since);
    try {
      // ---- host and a signed-in member join directly ------------------------------------------
      const hostPage = await newPage(hostSession.token);
      await hostPage.goto(link);
      const memberPage = await newPage(memberSession.token);
      await memberPage.goto(`${base}/join`);
      await memberPage.fill("input[name=meetingId]", meeting.meetingId);
      await memberPage.fill("input[name=passcode]", meeting.passcode);
      await memberPage.press("input[name=passcode]", "Enter");
      for (const [who, page] of [["host", hostPage], ["member", memberPage]] as const) {
        await waitForPreJoin(page, who);
        if (who === "host") {
          // The pre-join level meter is a complete ARIA meter (axe's aria-required-attr), and its value
          // moves with the fake microphone's beep rather than staying at its initial 0.
          const meter = await page.evaluate(() => {
            const el = document.querySelector(".room-level[role=meter]");
            return el && ["aria-label", "aria-valuemin", "aria-valuemax"].map((a) => el.getAttribute(a));
          });
          assert.deepEqual(meter, ["Microphone level", "0", "100"], "pre-join level meter's ARIA attributes");
          await poll("the level meter's aria-valuenow to follow the microphone", () =>
            page.evaluate(() => {
              const v = Number(document.querySelector(".room-level")?.getAttribute("aria-valuenow"));
              return v > 0 && v <= 100;
            }));
        }
        await page.click("button.room-join");
      }
      const ids: Record<string, string> = {};
      ids.host = (await waitInMeeting(hostPage, "host")).participantId!;
      ids.member = (await waitInMeeting(memberPage, "member")).participantId!;
      assert.equal((await state(hostPage)).role, "host");

      // ---- a reaction: sent, the bar closes with focus back on React, the others see it --------
      await hostPage.click("[data-action=reactions]");
      await hostPage.click('.room-reaction-choice[data-emoji="👍"]');
      assert.equal(await hostPage.$(".room-reaction-bar"), null, "the reaction bar closes after a choice");
      assert.equal(
        await hostPage.evaluate(() => document.activeElement?.getAttribute("data-action")),
        "reactions",
        "focus returns to the React button",
      );
      await poll(
        "the member to see the host's thumbs up",
        () => memberPage.evaluate(() => !!document.querySelector('.room-reaction[aria-label="Thumbs up"]')),
      );
      await hostPage.click("[data-action=reactions]");
      await hostPage.keyboard.press("Escape");
      assert.equal(await hostPage.$(".room-reaction-bar"), null, "Escape closes the reaction bar");

      // ---- a guest knocks: no media access while waiting; the host admits -------------------
      const guestPage = await newPage();
      await guestPage.goto(link);
      await guestPage.fill("input[name=name]", "Gina Guest");
      const knockAt = performance.now();
      await guestPage.press("input[name=name]", "Enter");
      await poll("the guest to wait in the lobby", async () => {
        const s = await state(guestPage);
        return s.phase === "lobby" && s.lobbyStatus === "waiting";
      });
      const waitingText = await guestPage.textContent(".room-waiting");
      assert.match(waitingText ?? "", /Waiting for the host to let you in/);
      // The waiting person gets no media access (so no Janus token exists for them).
      const mediaWhileWaiting = await guestPage.evaluate(async (path) => {
        const res = await fetch(path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ participantId: "01WAITINGPERSON" }),
        });
        return res.status;
      }, `/meetings/${meeting.meetingId}/media`);
      assert.equal(mediaWhileWaiting, 403, "POST /media while waiting");
      // And Janus itself refuses a session without a token, or with a made-up one.
      const raw = await RawJanus.open(stack.janusWsUrl);
      try {
        const noToken = await raw.createSession();
        assert.equal(noToken.janus, "error", `no token: ${JSON.stringify(noToken)}`);
        const madeUp = await raw.createSession(`made-up-${crypto.randomUUID()}`);
        assert.equal(madeUp.janus, "error", `made-up token: ${JSON.stringify(madeUp)}`);
      } finally {
        raw.close();
      }

      await poll("the host to see the knock", async () => {
        const s = await state(hostPage);
        const lobby = s.lobby as { admissionId: string; name: string }[];
        return lobby.find((e) => e.name === "Gina Guest") ?? null;
      });
      t("knockSeenMs", knockAt);
      assert.equal(await hostPage.textContent("[data-badge=lobby]"), "1", "the lobby badge counts the knock");
      const admitAt = performance.now();
      await hostPage.click(".room-knock [data-action=admit]");
      // The guest's page reloads into the meeting and joins by itself.
      ids.guest = (await waitInMeeting(guestPage, "guest", 45_000)).participantId!;
      t("admitToMediaMs", admitAt);
      await waitForFlow(hostPage, ids.guest, "host receiving the admitted guest");
      await waitForFlow(guestPage, ids.host, "the admitted guest receiving the host");
      assert.deepEqual((await state(hostPage)).lobby, [], "the waiting list is empty again");

      // ---- a second guest is denied and cannot get in -----------------------------------------
      const deniedPage = await newPage();
      await deniedPage.goto(link);
      await deniedPage.fill("input[name=name]", "Dan Denied");
      await deniedPage.press("input[name=name]", "Enter");
      await poll("the second guest to wait", async () => (await state(deniedPage)).phase === "lobby");
      const denied = await poll("the host to see the second knock", async () => {
        const lobby = (await state(hostPage)).lobby as { admissionId: string; name: string }[];
        return lobby.find((e) => e.name === "Dan Denied") ?? null;
      });
      await hostPage.click("[data-action=participants]");
      await hostPage.click(`.room-lobby li[data-admission-id="${denied.admissionId}"] [data-action=deny]`);
      await poll("the second guest to be denied", async () => {
        const s = await state(deniedPage);
        return s.phase === "denied" && s.socket === "closed";
      }, 15_000);
      const again = await deniedPage.goto(link);
      assert.equal(again?.status(), 403, "knocking again right away is refused");
      assert.equal(await deniedPage.$("#meeting-root .room"), null, "no meeting island for a denied person");
      await deniedPage.context().close();
      assert.equal((await state(hostPage)).participants.length, 3, "the denied guest never joined");

      // ---- chat: to everyone (links, escaping), privately, history after a reload --------------
      for (const page of [hostPage, memberPage, guestPage]) await page.click("[data-action=chat]");
      assert.equal(
        await hostPage.getAttribute(".room-chat-input", "aria-label"),
        "Message to everyone",
        "the chat box has an accessible name, not only a placeholder",
      );
      const everyoneText = "Agenda: https://example.com/agenda?x=1 <b>not bold</b>";
      await hostPage.fill(".room-chat-input", everyoneText);
      await hostPage.press(".room-chat-input", "Enter");
      for (const [who, page] of [["member", memberPage], ["guest", guestPage]] as const) {
        const line = await poll(`${who} to show the host's chat message`, async () => {
          return await page.evaluate((text) => {
            const el = [...document.querySelectorAll(".room-chat-message")].find((li) =>
              li.querySelector(".room-chat-text")?.textContent === text
            );
            if (!el) return null;
            const a = el.querySelector(".room-chat-text a");
            return { href: a?.getAttribute("href"), bold: el.querySelector("b") !== null };
          }, everyoneText);
        });
        assert.equal(line.href, "https://example.com/agenda?x=1", `${who}: the link is clickable`);
        assert.equal(line.bold, false, `${who}: markup stays text`);
      }
      const privateText = `Just for the host ${crypto.randomUUID()}`;
      await guestPage.selectOption(".room-chat-to select", ids.host);
      await guestPage.fill(".room-chat-input", privateText);
      await guestPage.press(".room-chat-input", "Enter");
      await poll("the host to show the private message", async () => {
        const s = await state(hostPage);
        return (s.chat as { text: string; to: string | null }[]).some((m) =>
          m.text === privateText && m.to === ids.host
        );
      });
      assert.ok(await hostPage.isVisible(`.room-chat-message.is-private:has-text("${privateText}")`));
      // Give the member's socket time to see anything the host saw: a later public message arrives.
      const marker = `after the private one ${crypto.randomUUID()}`;
      await hostPage.fill(".room-chat-input", marker);
      await hostPage.press(".room-chat-input", "Enter");
      await poll("the member to get the later message", async () => {
        const s = await state(memberPage);
        return (s.chat as { text: string }[]).some((m) => m.text === marker);
      });
      const memberSaw = await hook(memberPage, (h) => JSON.stringify(h.received()));
      assert.ok(!memberSaw.includes(privateText), "the member's socket never carried the private message");
      assert.ok(!(await memberPage.content()).includes(privateText), "nor does the member's page show it");

      // History survives a reload.
      const reloadAt = performance.now();
      await memberPage.reload();
      await waitForPreJoin(memberPage, "member after reload");
      await memberPage.click("button.room-join");
      ids.member = (await waitInMeeting(memberPage, "member after reload")).participantId!;
      t("reloadRejoinMs", reloadAt);
      const history = (await state(memberPage)).chat as { text: string }[];
      assert.ok(history.some((m) => m.text === everyoneText), "the public message is in the history");
      assert.ok(history.some((m) => m.text === marker));
      assert.ok(!history.some((m) => m.text === privateText), "the private one is not");
      await memberPage.click("[data-action=chat]");
      await memberPage.waitForSelector(`.room-chat-text:has-text("Agenda:")`, { timeout: 5000 });

      // ---- a forged host action from a guest is refused --------------------------------------
      await poll("the host to see the member back", async () => {
        const s = await state(hostPage);
        return s.participants.some((p) => p.participantId === ids.member);
      });
      for (const type of ["mute", "remove"]) {
        const sent = await guestPage.evaluate(
          ([type, member]) =>
            (globalThis as unknown as { __talkspace: Hook }).__talkspace.sendRaw({ type, participantId: member }),
          [type, ids.member],
        );
        assert.equal(sent, true, `the guest's socket sent a raw ${type}`);
      }
      await poll("the guest to get forbidden errors back", async () => {
        const errors = (await hook(guestPage, (h) => h.received())).filter((m) => m.type === "error");
        return errors.some((e) => e.kind === "user" && e.action === "remove" && e.code === "forbidden") &&
          errors.some((e) => e.kind === "user" && e.action === "mute");
      }, 10_000);
      const afterForgery = await state(memberPage);
      assert.equal(afterForgery.phase, "meeting", "the member was not removed");
      assert.equal(afterForgery.audioMuted, false, "nor muted");
      assert.ok(!afterForgery.notices.includes("The host muted you"));
      assert.equal(
        (await state(hostPage)).participants.find((p) => p.participantId === ids.member)?.role,
        "participant",
      );

      // ---- the host mutes the guest: the SFU stops their audio even if the browser keeps sending
      await waitForFlow(memberPage, ids.guest, "member receiving the guest");
      const muteAt = performance.now();
      await hostPage.click(`.room-people li[data-participant-id="${ids.guest}"] [data-action=participant-menu]`);
      await hostPage.click(`.room-people li[data-participant-id="${ids.guest}"] [data-action=host-mute]`);
      await poll("the guest to be told and muted", async () => {
        const s = await state(guestPage);
        return s.audioMuted && s.notices.includes("The host muted you");
      }, 10_000);
      // The guest's browser now sends live audio anyway (a modified client would).
      assert.equal(await hook(guestPage, (h) => h.forceAudio()), true);
      const out0 = (await stats(guestPage)).outbound.audioBytes;
      for (const [who, page] of [["host", hostPage], ["member", memberPage]] as const) {
        await waitForAudioStopped(page, ids.guest, `${who} while the guest is muted by the host`);
      }
      t("hostMuteToSilenceMs", muteAt);
      const held = {
        host: (await stats(hostPage)).inbound[ids.guest]?.audioBytes ?? 0,
        member: (await stats(memberPage)).inbound[ids.guest]?.audioBytes ?? 0,
      };
      await poll("the guest's browser to keep sending audio", async () => {
        return (await stats(guestPage)).outbound.audioBytes > out0 + 2000;
      }, 10_000);
      assert.equal((await stats(hostPage)).inbound[ids.guest]?.audioBytes ?? 0, held.host, "nothing reached the host");
      assert.equal((await stats(memberPage)).inbound[ids.guest]?.audioBytes ?? 0, held.member);
      // Video from the guest still flows.
      const frames = (await stats(hostPage)).inbound[ids.guest].framesDecoded;
      await poll("the guest's video to keep flowing", async () => {
        return (await stats(hostPage)).inbound[ids.guest].framesDecoded > frames;
      });

      // Ask to unmute: the guest accepts and is heard again.
      await hostPage.click(`.room-people li[data-participant-id="${ids.guest}"] [data-action=participant-menu]`);
      await hostPage.click(`.room-people li[data-participant-id="${ids.guest}"] [data-action=ask-unmute]`);
      await guestPage.waitForSelector("[data-action=accept-unmute]", { timeout: 10_000 });
      await guestPage.click("[data-action=accept-unmute]");
      await poll("the host to hear the guest again", async () => {
        return ((await stats(hostPage)).inbound[ids.guest]?.audioBytes ?? 0) > held.host + 2000;
      }, 20_000);

      // Mute everyone and keep them muted: the member's unmute button is disabled with the reason.
      await hostPage.click(".room-host-settings summary");
      await hostPage.click("[data-action=mute-all-locked]");
      await poll("the member's unmute to be disabled", async () => {
        return await memberPage.evaluate(() => {
          const b = document.querySelector<HTMLButtonElement>("[data-action=mute]");
          return !!b && b.disabled && /not allowed/.test(b.title);
        });
      }, 10_000);

      // ---- the host removes the member, who cannot come back ---------------------------------
      await hostPage.click(`.room-people li[data-participant-id="${ids.member}"] [data-action=participant-menu]`);
      await hostPage.click(`.room-people li[data-participant-id="${ids.member}"] [data-action=remove]`);
      await hostPage.click("[data-action=confirm-remove]");
      await poll("the member to be removed", async () => {
        const s = await state(memberPage);
        return s.phase === "removed" && s.media === "off" && s.socket === "closed";
      }, 15_000);
      assert.equal((await state(memberPage)).closedReason, "You were removed from the meeting");
      assert.match((await memberPage.textContent(".room-closed")) ?? "", /You were removed from the meeting/);
      assert.equal(await memberPage.$(".room-closed a[href^='/m/']"), null, "no Rejoin link");
      await poll("the others to see the member gone", async () => {
        const s = await state(guestPage);
        return !s.participants.some((p) => p.participantId === ids.member);
      });
      const byLink = await memberPage.goto(link);
      assert.equal(byLink?.status(), 403, "rejoining by link is refused");
      assert.equal(await memberPage.$("button.room-join"), null);
      await memberPage.goto(`${base}/join`);
      await memberPage.fill("input[name=meetingId]", meeting.meetingId);
      await memberPage.fill("input[name=passcode]", meeting.passcode);
      const byId = await Promise.all([
        memberPage.waitForNavigation(),
        memberPage.press("input[name=passcode]", "Enter"),
      ]);
      assert.ok((byId[0]?.status() ?? 0) >= 400, `rejoining by ID is refused (${byId[0]?.status()})`);
      assert.equal(await memberPage.$("button.room-join"), null);

      // ---- end the meeting; attendance lists everyone with join and leave times -------------
      await hostPage.click("[data-action=end]");
      for (const [who, page] of [["host", hostPage], ["guest", guestPage]] as const) {
        await poll(`${who} to see the meeting ended`, async () => {
          const s = await state(page);
          return s.phase === "ended" && s.media === "off";
        }, 15_000);
      }
      const attendance = await poll("the attendance", async () => {
        const res = await hostPage.request.get(`${base}/api/v1/meetings/${meeting.meetingId}/attendance`);
        if (!res.ok()) return null;
        return await res.json() as { sessions: { name: string; joinedAt: string; leftAt: string | null }[] };
      }, 10_000);
      const rows = attendance.sessions;
      for (const name of ["Hana Host", "Pat Member", "Gina Guest"]) {
        const mine = rows.filter((r) => r.name === name);
        assert.ok(mine.length > 0, `${name} is in the attendance: ${JSON.stringify(rows)}`);
        for (const r of mine) {
          assert.ok(Date.parse(r.joinedAt) > 0, `${name} has a join time`);
          assert.ok(r.leftAt && Date.parse(r.leftAt) >= Date.parse(r.joinedAt), `${name} has a leave time`);
        }
      }
      assert.ok(!rows.some((r) => r.name === "Dan Denied"), "the denied guest never attended");
      const csv = await hostPage.request.get(`${base}/meetings/${meeting.meetingId}/attendance.csv`);
      assert.equal(csv.status(), 200);
      const csvText = await csv.text();
      for (const name of ["Hana Host", "Pat Member", "Gina Guest"]) assert.ok(csvText.includes(name));

      console.log(
        "meeting controls timings (ms):",
        Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
      );
    } catch (err) {
      console.error(stack.dump());
      throw err;
    } finally {
      await stack.stop();
    }
  },
});
