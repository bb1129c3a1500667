// A gateway killed while it composes a recording still ends with a ready, valid file: the
// recording is made with real Janus recorders (tests/support/recording_rig.ts) and left queued; a
// real gateway process resumes it, is killed with SIGKILL mid-ffmpeg (the half-written MP4 is not
// served), and the next gateway ends the left-over ffmpeg, starts the job over and finishes it.

import assert from "node:assert/strict";
import { startRecordingRig } from "./support/recording_rig.ts";
import { startGateway } from "./support/gateway.ts";
import { probe } from "./support/recording_checks.ts";
import { skipUnlessPrograms } from "./support/tools.ts";
import { poll } from "./support/wait.ts";
import type { RecordingStatus } from "../lib/contracts/gateway_api.ts";

const missing = skipUnlessPrograms("recording_restart_test", "janus", "janus-pp-rec", "ffmpeg", "ffprobe");

Deno.test({
  name: "recording: a gateway killed during processing resumes the job after restart and ends ready",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "talkspace-rec-restart-" });
    const dir = `${root}/recordings`;
    const rig = await startRecordingRig({ dir });
    let recorded: RecordingStatus;
    try {
      // Small pictures: the encoders must keep up with real time on a busy machine, or the media
      // (and so the MP4) would be shorter than the wall-clock time recorded.
      await rig.publisher("dana", { pattern: "testsrc2", toneHz: 300, seconds: 60, size: "320x180" });
      await rig.publisher("eli", { pattern: "life", toneHz: 400, seconds: 60, size: "320x180" });
      await rig.recordings.start(rig.meetingId, "rec-r", { dana: "Dana", eli: "Eli" });
      await poll(
        "15 s of recording",
        async () => (await rig.recordings.status("rec-r")).durationSeconds! >= 15,
        25_000,
      );
      // Left queued for the gateway process below.
      rig.recordings.jobs.stop();
      recorded = await rig.recordings.stop(rig.meetingId);
    } finally {
      await rig.stop();
    }
    const env = {
      DATA_DIR: `${root}/gateway`,
      RECORDINGS_DIR: dir,
      RECORDINGS_MIN_FREE_MB: "0",
      // Slow enough to be caught mid-way on any machine.
      RECORDING_X264_PRESET: "medium",
      SIP_PORT: "0",
    };
    const first = await startGateway(env);
    let second: Awaited<ReturnType<typeof startGateway>> | null = null;
    try {
      const status = async (gw: typeof first) =>
        await (await gw.request("GET", "/internal/recordings/rec-r")).json() as RecordingStatus;
      const mid = await poll(
        "the first gateway to be composing",
        async () => {
          const s = await status(first);
          return s.state === "processing" && (s.progress ?? 0) >= 12 ? s : null;
        },
        60_000,
        100,
      );
      const file = await first.request("GET", "/internal/recordings/rec-r/file");
      assert.equal(file.status, 409, "a recording being processed is not served");
      await file.body?.cancel();
      const job = JSON.parse(await Deno.readTextFile(`${dir}/rec-r/job.json`));
      assert.ok(job.pid, "job.json names the process at work");
      Deno.kill(first.pid, "SIGKILL");
      await first.stop();
      assert.ok(await Deno.stat(`${dir}/rec-r/recording.mp4`).then(() => false, () => true), "no MP4 yet");
      assert.ok(mid.progress! < 100);

      second = await startGateway(env);
      const done = await poll("the restarted gateway to finish the job", async () => {
        const s = await status(second!);
        if (s.state === "failed") throw new Error(`failed: ${s.reason}`);
        return s.state === "ready" ? s : null;
      }, 180_000);
      const after = JSON.parse(await Deno.readTextFile(`${dir}/rec-r/job.json`));
      assert.equal(after.attempts, 2, "processing started over once");
      assert.ok(
        await Deno.readTextFile(`/proc/${job.pid}/cmdline`).then((c) => !c.includes(dir), () => true),
        "the killed gateway's ffmpeg is gone",
      );
      const res = await second.request("GET", "/internal/recordings/rec-r/file");
      assert.equal(res.status, 200);
      const mp4 = `${root}/downloaded.mp4`;
      await Deno.writeFile(mp4, new Uint8Array(await res.arrayBuffer()));
      const p = await probe(mp4);
      assert.equal(p.videoCodec, "h264");
      assert.equal(p.audioCodec, "aac");
      const seconds = (Date.parse(recorded.stoppedAt!) - Date.parse(recorded.startedAt)) / 1000;
      assert.ok(Math.abs(p.durationSeconds - seconds) <= 2, `duration ${p.durationSeconds} vs ${seconds}`);
      assert.equal(done.sizeBytes, (await Deno.stat(mp4)).size);

      // A byte range, as a player seeking asks for it.
      const part = await second.request("GET", "/internal/recordings/rec-r/file", undefined, {
        range: "bytes=100-199",
      });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("content-range"), `bytes 100-199/${done.sizeBytes}`);
      assert.deepEqual(new Uint8Array(await part.arrayBuffer()), (await Deno.readFile(mp4)).subarray(100, 200));
    } finally {
      await first.stop();
      await second?.stop();
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
