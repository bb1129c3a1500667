// Recording a meeting from the meeting, end to end with real parts (Janus + gateway with its
// recorders, janus-pp-rec and ffmpeg; the web app; headless Chromium in a network namespace; see
// tests/support/meeting_harness.ts): the host presses Record; everyone sees the red dot, the notice
// with its way out and the chat line, and a guest arriving sees it before entering; a participant
// the setting does not allow is refused by the server; the host stops; the web app follows the
// gateway's processing to "ready"; the file plays with byte ranges and ffprobe finds H.264 + AAC of
// about the recorded length. Start and stop are in the audit log. Runs only as root with Chromium,
// Janus, janus-pp-rec and ffmpeg; otherwise it is ignored with the reason.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { listAuditEntries } from "../lib/accounts/audit.ts";
import {
  meetingStackUnavailable,
  poll,
  roomState as state,
  seedHostAndMember,
  startMeetingStack,
  waitForPreJoin,
  waitInMeeting,
} from "./support/meeting_harness.ts";
import { skipUnlessPrograms } from "./support/tools.ts";
import { assertAccessible } from "./support/axe.ts";

const reason = (await meetingStackUnavailable()) ?? skipUnlessPrograms("recording e2e", "janus-pp-rec", "ffprobe");
if (reason) console.log(`recording_e2e_test: skipped: ${reason}`);

type Hook = { received(): { type: string; kind?: string; action?: string; code?: string }[] };
const hook = <T>(page: Page, fn: (h: Hook & { sendRaw(m: unknown): boolean }) => T): Promise<T> =>
  page.evaluate(`(${fn.toString()})(globalThis.__talkspace)`) as Promise<T>;

/** A signed-in page's API call with its session cookie (what the Recordings pages do). */
const api = (page: Page, path: string, init: { method?: string; headers?: Record<string, string> } = {}) =>
  page.evaluate(async ([p, i]) => {
    const res = await fetch(p as string, i as RequestInit);
    const type = res.headers.get("content-type") ?? "";
    const body = type.includes("json") ? await res.json() : (await res.arrayBuffer()).byteLength;
    return { status: res.status, body, range: res.headers.get("content-range") };
  }, [path, init] as const);

Deno.test({
  name: "recording from the meeting: everyone is told, the host stops, the file is made and plays",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const { stack, seeded } = await startMeetingStack((kv) => seedHostAndMember(kv, "Recorded standup"), {
      tag: "recording",
    });
    const { hostSession, memberSession, meeting } = seeded;
    const { base, newPage } = stack;
    const link = `${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
    try {
      const hostPage = await newPage(hostSession.token);
      const memberPage = await newPage(memberSession.token);
      for (const [who, page] of [["host", hostPage], ["member", memberPage]] as const) {
        await page.goto(link);
        await waitForPreJoin(page, who);
        assert.equal(await page.$(".room-recording-prejoin"), null, "no recording notice before it records");
        await page.click("button.room-join");
        await waitInMeeting(page, who);
      }
      assert.equal((await state(hostPage)).canRecord, true, "hosts may record by default");
      assert.equal((await state(memberPage)).canRecord, false, "participants may not by default");
      assert.equal(await memberPage.$("[data-action=record]"), null, "no Record button for them");

      // ---- a participant the setting does not allow is refused by the server ------------------
      await hook(memberPage, (h) => h.sendRaw({ type: "record", on: true }));
      await poll(
        "the member's refusal",
        () => hook(memberPage, (h) => h.received().some((m) => m.type === "error" && m.action === "record")),
      );
      assert.equal((await state(hostPage)).recording, false, "nothing started");
      // The host may let everyone signed in record (the meeting's setting), and take it back.
      await hostPage.click("[data-action=participants]");
      await hostPage.click(".room-host-settings summary");
      await hostPage.selectOption("select[name=recording]", "everyone");
      await poll("the member to be allowed", async () => (await state(memberPage)).canRecord === true);
      await memberPage.waitForSelector("[data-action=record]", { state: "attached" });
      await hostPage.selectOption("select[name=recording]", "hosts");
      await poll("the member not to be any more", async () => (await state(memberPage)).canRecord === false);
      await hostPage.click("[data-action=close-participants]");

      // ---- the host starts: everyone is told --------------------------------------------------
      await hostPage.click("[data-action=more]").catch(() => {}); // folded on narrow screens only
      await hostPage.click("[data-action=record]");
      for (const [who, page] of [["host", hostPage], ["member", memberPage]] as const) {
        await poll(`${who} to see the recording`, async () => (await state(page)).recording === true);
        const s = await state(page);
        assert.equal(s.recordingNotice, true, `${who}: the notice`);
        assert.deepEqual(s.chatSystem, ["recording-on"], `${who}: the chat line`);
        assert.ok(await page.$(".room-rec-badge[data-recording=true]"), `${who}: the red dot`);
      }
      assert.ok(await memberPage.$(".room-recording-notice [data-action=recording-leave]"), "a way out");
      await memberPage.click("[data-action=chat]");
      await memberPage.waitForSelector(".room-chat-system");
      await assertAccessible(memberPage, "the recording notice, the red dot and the chat line");
      await memberPage.click("[data-action=close-chat]");
      await memberPage.click("[data-action=recording-ok]");
      assert.equal((await state(memberPage)).recordingNotice, false, "Got it closes the notice");
      assert.ok(await memberPage.$(".room-rec-badge"), "the dot stays");
      const list = await api(hostPage, "/api/v1/recordings");
      assert.equal(list.status, 200);
      const rec = (list.body as { recordings: { recordingId: string; state: string }[] }).recordings[0];
      assert.equal(rec.state, "recording");

      // A guest arriving now is told before entering.
      const guestPage = await newPage();
      await guestPage.goto(link);
      await guestPage.waitForSelector(".room-recording-prejoin[data-recording=true]");

      // ---- record a few seconds of the two cameras, then the host stops ------------------------
      await poll("the gateway to record both cameras", async () => {
        const res = await stack.gatewayRequest("GET", `/internal/recordings/${rec.recordingId}`);
        const s = await res.json();
        return res.ok && s.state === "recording" && (s.durationSeconds ?? 0) >= 8;
      }, 30_000);
      await hostPage.click("[data-action=record]");
      for (const [who, page] of [["host", hostPage], ["member", memberPage]] as const) {
        await poll(`${who} to see it stop`, async () => (await state(page)).recording === false);
        assert.deepEqual((await state(page)).chatSystem, ["recording-on", "recording-off"], `${who}: chat lines`);
        assert.equal(await page.$(".room-rec-badge"), null, `${who}: no dot`);
      }

      // ---- the web app follows processing to ready; the file plays with ranges ----------------
      let ready: { state: string; progress: number; durationSeconds: number; sizeBytes: number; fileUrl: string };
      await poll("the recording to be ready", async () => {
        const r = await api(hostPage, `/api/v1/recordings/${rec.recordingId}`);
        ready = r.body as typeof ready;
        if (ready.state === "failed") throw new Error(`recording failed: ${JSON.stringify(r.body)}`);
        return ready.state === "ready";
      }, 180_000);
      assert.equal(ready!.progress, 100);
      assert.ok(ready!.sizeBytes > 10_000, `size ${ready!.sizeBytes}`);
      const part = await api(hostPage, ready!.fileUrl, { headers: { range: "bytes=0-1023" } });
      assert.equal(part.status, 206);
      assert.equal(part.body, 1024);
      assert.match(part.range ?? "", new RegExp(`^bytes 0-1023/${ready!.sizeBytes}$`));
      assert.equal((await api(memberPage, `/api/v1/recordings/${rec.recordingId}`)).status, 404, "not the member's");

      const file = `${stack.dataDir}/recording.mp4`;
      const bytes = await download(hostPage, ready!.fileUrl);
      await Deno.writeFile(file, bytes);
      const probe = new TextDecoder().decode(
        (await new Deno.Command("ffprobe", {
          args: ["-v", "error", "-show_entries", "stream=codec_name:format=duration", "-of", "json", file],
          stdout: "piped",
        }).output()).stdout,
      );
      const info = JSON.parse(probe) as { streams: { codec_name: string }[]; format: { duration: string } };
      assert.deepEqual(info.streams.map((s) => s.codec_name).sort(), ["aac", "h264"]);
      // As long as it was recorded: from the start to the stop the web app wrote down.
      const rec2 = (await api(hostPage, `/api/v1/recordings/${rec.recordingId}`)).body as {
        startedAt: string;
        stoppedAt: string;
      };
      const recordedSeconds = (Date.parse(rec2.stoppedAt) - Date.parse(rec2.startedAt)) / 1000;
      const duration = Number(info.format.duration);
      // The gateway said 8 s once it had them (its own count, which rounds); the web app's span is
      // that or a little less or more: what matters is that the file is as long as the span.
      assert.ok(recordedSeconds >= 5, `recorded ${recordedSeconds} s`);
      assert.ok(Math.abs(duration - recordedSeconds) <= 3, `MP4 ${duration} s for ${recordedSeconds} s recorded`);

      // ---- start and stop are in the audit log ------------------------------------------------
      const kv = await Deno.openKv(`${stack.dataDir}/web/talkspace.kv`);
      try {
        const actions = (await listAuditEntries(kv, { limit: 50 })).entries.map((e) => e.action);
        assert.ok(actions.includes("meeting.recording_started"), actions.join());
        assert.ok(actions.includes("meeting.recording_stopped"), actions.join());
      } finally {
        kv.close();
      }
    } catch (err) {
      console.error(stack.dump());
      throw err;
    } finally {
      await stack.stop();
    }
  },
});

/** The whole file through the signed-in page (base64 across the evaluate boundary). */
async function download(page: Page, path: string): Promise<Uint8Array> {
  const b64 = await page.evaluate(async (p) => {
    const buf = new Uint8Array(await (await fetch(p)).arrayBuffer());
    let s = "";
    for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode(...buf.subarray(i, i + 0x8000));
    return btoa(s);
  }, path);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}
