// End to end with real parts: Janus + gateway, the web app and headless Chromium, all inside a
// network namespace (Janus never gathers ICE on loopback). A host starts a meeting, a guest joins
// by link and a signed-in participant by meeting ID; everyone decodes everyone's video and audio;
// muting stops a participant's audio at the others; a screen share arrives as a second video; a
// participant whose connections are cut comes back by itself; ending the meeting closes it for all.
// Runs only as root with Chromium and Janus installed; otherwise it is ignored with the reason.
// The stack itself (namespace, processes, Chromium) is tests/support/meeting_harness.ts.

import assert from "node:assert/strict";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import {
  meetingStackUnavailable,
  poll,
  roomState as state,
  roomStats as stats,
  startMeetingStack,
  waitForAudioStopped,
  waitForEntryPreview,
  waitForPreJoin,
  waitInMeeting,
} from "./support/meeting_harness.ts";

const reason = await meetingStackUnavailable();
if (reason) console.log(`meeting_media_test: skipped: ${reason}`);

type Hook = { dropConnections(): void };

Deno.test({
  name: "meeting media end to end: join three ways, see and hear everyone, mute, share, reconnect, end",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { stack, seeded } = await startMeetingStack(async (kv) => {
      const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
      const member = await createUser(kv, { name: "Pat Member", email: "pat@example.test", passwordHash: "x" });
      return {
        hostSession: await createSession(kv, host.id, "full", "e2e"),
        memberSession: await createSession(kv, member.id, "full", "e2e"),
        // No lobby: this test is about media (tests/meeting_controls_e2e_test.ts covers the lobby).
        meeting: await createMeeting(kv, { hostId: host.id, settings: { lobby: false } }),
      };
    }, { tag: "media" });
    const { hostSession, memberSession, meeting } = seeded;
    const { base, timings, newPage } = stack;
    try {
      // Host: opens the invitation link while signed in.
      const hostPage = await newPage(hostSession.token);
      await hostPage.goto(`${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
      // Guest: the link opens their pre-join (preview, devices) beside the name form.
      const guestPage = await newPage();
      await guestPage.goto(`${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
      await waitForEntryPreview(guestPage, "guest");
      assert.equal(await guestPage.textContent("form.room-entry-form .join-submit"), "Join now", "no lobby: Join now");
      await guestPage.fill("input[name=name]", "Gina Guest");
      // Signed-in participant: meeting ID and passcode.
      const memberPage = await newPage(memberSession.token);
      await memberPage.goto(`${base}/join`);
      await memberPage.fill("input[name=meetingId]", meeting.meetingId);
      await memberPage.fill("input[name=passcode]", meeting.passcode);
      await memberPage.press("input[name=passcode]", "Enter");

      const pages = { host: hostPage, guest: guestPage, member: memberPage };
      // Pre-join: the preview and the microphone are live. The guest's Join is their name form's.
      const preJoin = { host: hostPage, member: memberPage };
      for (const [who, page] of Object.entries(preJoin)) await waitForPreJoin(page, who);
      const joinStarted = performance.now();
      await Promise.all([
        ...Object.values(preJoin).map((p) => p.click("button.room-join")),
        guestPage.press("input[name=name]", "Enter"),
      ]);
      const ids: Record<string, string> = {};
      for (const [who, page] of Object.entries(pages)) ids[who] = (await waitInMeeting(page, who)).participantId!;
      timings.joinToConnectedMs = performance.now() - joinStarted;

      // Everyone decodes everyone else's video and receives their audio, and it keeps flowing.
      const everyone = Object.entries(pages);
      const firstSeen = performance.now();
      for (const [who, page] of everyone) {
        for (const [other] of everyone) {
          if (other === who) continue;
          const before = await poll(`${who} to decode ${other}'s video and audio`, async () => {
            const s = (await stats(page)).inbound[ids[other]];
            return s && s.framesDecoded > 0 && s.audioBytes > 0 ? s : null;
          });
          await poll(`${who}'s video and audio from ${other} to keep flowing`, async () => {
            const s = (await stats(page)).inbound[ids[other]];
            return s.framesDecoded > before.framesDecoded && s.videoBytes > before.videoBytes &&
              s.audioBytes > before.audioBytes;
          });
        }
      }
      timings.allMediaFlowingMs = performance.now() - firstSeen;
      const hostState = await state(hostPage);
      assert.equal(hostState.participants.length, 3);

      // The guest mutes: nobody receives audio bytes from them any more; the roster says so.
      await guestPage.click("[data-action=mute]");
      for (const [who, page] of [["host", hostPage], ["member", memberPage]] as const) {
        await poll(`${who} to see the guest muted`, async () => {
          const s = await state(page);
          return s.participants.find((p) => p.participantId === ids.guest)?.state.audio === false;
        });
        await waitForAudioStopped(page, ids.guest, `${who}'s audio from the guest`);
        const video = (await stats(page)).inbound[ids.guest].framesDecoded;
        await poll(
          `${who} to still decode the guest's video`,
          async () => (await stats(page)).inbound[ids.guest].framesDecoded > video,
        );
      }

      // The member shares a screen: it reaches the others as a second video.
      const shareStarted = performance.now();
      await memberPage.click("[data-action=screen]");
      for (const [who, page] of [["host", hostPage], ["guest", guestPage]] as const) {
        await poll(`${who} to decode the member's screen`, async () => {
          const s = (await stats(page)).inbound[ids.member];
          return s && s.screenFramesDecoded > 0 && s.framesDecoded > 0;
        }, 30_000);
      }
      timings.screenShareMs = performance.now() - shareStarted;
      assert.ok((await stats(memberPage)).outbound.screenFramesEncoded > 0);

      // The member's socket and Janus connection are cut; they come back by themselves.
      const dropAt = performance.now();
      await memberPage.evaluate(() => (globalThis as unknown as { __talkspace: Hook }).__talkspace.dropConnections());
      await poll(
        "the member to show Reconnecting… or Reconnected",
        async () => {
          const s = await state(memberPage);
          return s.banner === "Reconnecting…" || s.banner === "Reconnected";
        },
        10_000,
        50,
      );
      await poll("the member to be reconnected", async () => {
        const s = await state(memberPage);
        return s.socket === "open" && s.media === "connected";
      }, 30_000);
      for (const [who, page] of [["host", hostPage], ["guest", guestPage]] as const) {
        const before = (await stats(page)).inbound[ids.member]?.framesDecoded ?? 0;
        await poll(`${who} to decode the member's video again`, async () => {
          const s = (await stats(page)).inbound[ids.member];
          return s && s.framesDecoded > before && s.audioBytes > 0;
        }, 30_000);
        const mine = (await stats(memberPage)).inbound[ids[who]];
        await poll(`the member to decode ${who}'s video again`, async () => {
          const s = (await stats(memberPage)).inbound[ids[who]];
          return s && s.framesDecoded > (mine?.framesDecoded ?? 0);
        }, 30_000);
      }
      timings.reconnectMs = performance.now() - dropAt;
      const after = await state(memberPage);
      assert.equal(after.participantId, ids.member, "the same participant came back");
      assert.equal((await state(hostPage)).participants.length, 3, "nobody was told the member left");

      // The host ends the meeting: everyone sees why, and media stops.
      await hostPage.click("[data-action=end]");
      for (const [who, page] of everyone) {
        await poll(`${who} to see the meeting ended`, async () => {
          const s = await state(page);
          return s.phase === "ended" && s.media === "off";
        }, 15_000);
      }
      assert.equal((await state(guestPage)).closedReason, "The host ended the meeting");
      console.log(
        "meeting media timings (ms):",
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
