// Dial-in end to end with a real phone and a real browser, all inside a network namespace: Janus +
// gateway (SIP on the namespace address) + web app + headless Chromium whose fake microphone plays a
// 440 Hz WAV; Debian's baresip dials sip:<meetingId>*<passcode>@<ip> and plays a 1 kHz WAV (aufile).
// Proves: the browser receives the caller's audio on the "Phone participants" feed (getStats bytes
// and audioLevel); the caller hears the browser (sndfile's recording of the decoded audio has the
// 440 Hz tone, Goertzel); the host's socket action `mute` silences the caller at the browser; the
// host's `remove` sends baresip a BYE. Skipped with the reason when not root or a program is missing.
// The stack and baresip's configuration are in tests/support/baresip.ts.

import assert from "node:assert/strict";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import {
  poll,
  roomSendRaw,
  roomState as state,
  roomStats as stats,
  waitForPreJoin,
  waitInMeeting,
} from "./support/meeting_harness.ts";
import {
  baresipStackUnavailable,
  readWav,
  startBaresip,
  startSipMeetingStack,
  toneBlocks,
  toneWav,
} from "./support/baresip.ts";

const reason = await baresipStackUnavailable();
if (reason) console.log(`sip_browser_e2e_test: skipped: ${reason}`);

/** The VideoRoom remote publisher carrying the bridge's mix of callers (gateway/bridge/bridge.ts). */
const PHONE_FEED = "Phone participants";
const CALLER_NAME = "Bare Caller";

Deno.test({
  name: "SIP dial-in end to end: baresip and a Chromium participant hear each other; host mutes and removes the caller",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const t0 = performance.now();
    const timings: Record<string, number> = {};
    const wavDir = await Deno.makeTempDir({ prefix: "talkspace-sip-wav-" });
    const browserWav = `${wavDir}/browser_440.wav`;
    const callerWav = `${wavDir}/caller_1k.wav`;
    await Deno.writeFile(browserWav, toneWav(440, 48000, 10, 0.5));
    // aufile wants the codec's rate (8 kHz for G.711) and plays the file once: make it long.
    await Deno.writeFile(callerWav, toneWav(1000, 8000, 170, 0.5));

    const { stack, seeded } = await startSipMeetingStack(async (kv) => {
      const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
      return {
        hostSession: await createSession(kv, host.id, "full", "e2e"),
        meeting: await createMeeting(kv, { hostId: host.id, settings: { lobby: false } }),
      };
    }, { fakeAudioWav: browserWav }).catch(async (err) => {
      await Deno.remove(wavDir, { recursive: true }).catch(() => {});
      throw err;
    });
    timings.stackReadyMs = performance.now() - t0;
    const { hostSession, meeting } = seeded;
    let baresipOut = "";
    try {
      const hostPage = await stack.newPage(hostSession.token);
      await hostPage.goto(`${stack.base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
      await waitForPreJoin(hostPage, "host");
      await hostPage.click("button.room-join");
      await waitInMeeting(hostPage, "host");
      timings.hostInMeetingMs = performance.now() - t0;

      const phoneDir = await Deno.makeTempDir({ dir: stack.dataDir, prefix: "baresip-" });
      const dialStarted = performance.now();
      const phone = await startBaresip(stack.ns, {
        dir: phoneDir,
        ip: stack.ip,
        sourceWav: callerWav,
        dial: `sip:${meeting.meetingId}*${meeting.passcode}@${stack.ip}:${stack.sipPort}`,
        displayName: CALLER_NAME,
        lifetimeSec: 170,
      });
      stack.track(phone);
      const fail = (err: unknown) => {
        throw new Error(`${(err as Error).message}\n--- baresip ---\n${phone.output().slice(-6000)}`);
      };

      await poll("baresip's call to be established", () => /Call established|established/i.test(phone.output()), 20_000)
        .catch(fail);
      timings.dialToEstablishedMs = performance.now() - dialStarted;

      // The caller appears in the host's roster.
      const caller = await poll("the caller in the host's roster", async () => {
        const s = await state(hostPage);
        return s.participants.find((p) => p.name === CALLER_NAME) ?? null;
      }, 20_000).catch(fail);
      timings.dialToRosterMs = performance.now() - dialStarted;

      // The browser receives the caller's 1 kHz tone on the "Phone participants" feed.
      const first = await poll("the host to receive audio from the phone feed", async () => {
        const s = (await stats(hostPage)).inbound[PHONE_FEED];
        return s && s.audioBytes > 0 ? s : null;
      }, 30_000).catch(fail);
      const loud = await poll("the phone feed's bytes to grow and its level to rise", async () => {
        const s = (await stats(hostPage)).inbound[PHONE_FEED];
        return s.audioBytes > first.audioBytes && s.audioLevel > 0.05 ? s : null;
      }, 20_000).catch(fail);
      timings.dialToBrowserHearsCallerMs = performance.now() - dialStarted;
      console.log(`phone feed at the browser: ${JSON.stringify(loud)}`);
      const calls = await (await stack.gatewayRequest("GET", `/internal/calls?meetingId=${meeting.meetingId}`)).json();
      console.log(`gateway calls: ${JSON.stringify(calls).slice(0, 1500)}`);

      // Let the caller hear the browser's tone for a while (recorded by sndfile).
      await new Promise((r) => setTimeout(r, 4000));

      // The host mutes the caller through the meeting socket: the phone feed goes silent.
      const muteAt = performance.now();
      assert.ok(await roomSendRaw(hostPage, { type: "mute", participantId: caller.participantId }));
      await poll("the host to see the caller muted", async () => {
        const s = await state(hostPage);
        return s.participants.find((p) => p.participantId === caller.participantId)?.state.audio === false;
      }, 10_000);
      const muted = await poll("the phone feed's level to drop to silence (or its bytes to stop)", async () => {
        const a = (await stats(hostPage)).inbound[PHONE_FEED];
        await new Promise((r) => setTimeout(r, 500));
        const b = (await stats(hostPage)).inbound[PHONE_FEED];
        return b.audioLevel < 0.01 || b.audioBytes === a.audioBytes ? { a, b } : null;
      }, 15_000).catch(fail);
      timings.muteToSilenceMs = performance.now() - muteAt;
      console.log(`phone feed after mute: ${JSON.stringify(muted)}`);
      // …and stays silent.
      await new Promise((r) => setTimeout(r, 1500));
      const still = (await stats(hostPage)).inbound[PHONE_FEED];
      assert.ok(
        still.audioLevel < 0.01 || still.audioBytes === muted.b.audioBytes,
        `phone feed still silent after mute: ${JSON.stringify(still)}`,
      );

      // The host removes the caller: baresip gets a BYE and the call closes.
      const removeAt = performance.now();
      assert.ok(await roomSendRaw(hostPage, { type: "remove", participantId: caller.participantId }));
      // baresip's SIP trace (-s) prints each message under "UDP <from> -> <to>".
      const byeIn = new RegExp(`:${stack.sipPort} -> [\\d.]+:${phone.sipPort}\\s+BYE sip:`);
      const byeOut = new RegExp(`:${phone.sipPort} -> [\\d.]+:${stack.sipPort}\\s+BYE sip:`);
      await poll("baresip to receive a BYE from the gateway", () => byeIn.test(phone.output()), 15_000).catch(fail);
      await poll(
        "baresip to report the call closed by the remote",
        () => /session closed: Connection reset by peer[\s\S]*terminated \(duration/.test(phone.output()),
        10_000,
      ).catch(fail);
      assert.ok(!byeOut.test(phone.output()), "baresip did not hang up itself");
      timings.removeToByeMs = performance.now() - removeAt;
      await poll("the caller gone from the host's roster", async () => {
        const s = await state(hostPage);
        return !s.participants.some((p) => p.participantId === caller.participantId);
      }, 10_000);

      // sndfile finalizes its WAVs when the call's audio stream goes; stop baresip to be sure.
      await phone.stop();
      baresipOut = phone.output();
      const files = phone.recordings();
      const dec = files.find((f) => /dec\.wav$/.test(f));
      assert.ok(dec, `a decoded-audio recording from sndfile; files: ${JSON.stringify(files)}`);
      const wav = readWav(await Deno.readFile(dec));
      const at440 = toneBlocks(wav, 440);
      const at1k = toneBlocks(wav, 1000);
      console.log(
        `caller's recording ${dec.split("/").pop()}: ${wav.rate} Hz, ${
          (wav.samples.length / wav.rate).toFixed(1)
        } s; ` +
          `440 Hz ${JSON.stringify(at440)}; 1 kHz ${JSON.stringify(at1k)}`,
      );
      assert.equal(wav.rate, 8000);
      assert.ok(at440.toneBlocks >= 5, `the browser's 440 Hz tone in the caller's recording: ${JSON.stringify(at440)}`);
      assert.ok(at1k.toneBlocks === 0, `the caller does not hear itself: ${JSON.stringify(at1k)}`);
      timings.totalMs = performance.now() - t0;
      console.log(
        `timings: ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`,
      );
    } catch (err) {
      console.log(stack.dump());
      if (baresipOut) console.log(`--- baresip ---\n${baresipOut.slice(-6000)}`);
      throw err;
    } finally {
      const logTo = Deno.env.get("SIP_E2E_LOG");
      if (logTo) Deno.writeTextFileSync(logTo, stack.dump());
      await stack.stop();
      await Deno.remove(wavDir, { recursive: true }).catch(() => {});
    }
  },
});
