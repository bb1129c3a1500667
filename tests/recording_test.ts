// Recording with real Janus recorders and the real post-processing (janus-pp-rec, ffmpeg), no
// browsers: two "publishers" (remote publishers fed by ffmpeg test patterns and tones, one leaving
// early) and a phone caller (an AudioBridge sip participant playing 1 kHz). The MP4 is checked
// with ffprobe and ffmpeg filters. Then free space: refused below RECORDINGS_MIN_FREE_MB, and a
// recording whose disk runs low stops cleanly and keeps what it has (a tiny tmpfs, as root).

import assert from "node:assert/strict";
import { startRecordingRig } from "./support/recording_rig.ts";
import { bandVolume, motion, probe } from "./support/recording_checks.ts";
import { skipUnlessPrograms } from "./support/tools.ts";
import { poll } from "./support/wait.ts";
import { Conflict } from "../lib/common/errors.ts";

const missing = skipUnlessPrograms("recording_test", "janus", "janus-pp-rec", "ffmpeg", "ffprobe");
const isRoot = Deno.uid() === 0;

const opts = { sanitizeResources: false, sanitizeOps: false };

Deno.test({
  name: "recording: two publishers (one leaves early) and a phone caller become one H.264 + AAC MP4",
  ignore: missing !== null,
  ...opts,
  fn: async () => {
    const rig = await startRecordingRig();
    try {
      await rig.publisher("alice", { pattern: "testsrc2", toneHz: 300, seconds: 60 });
      await rig.publisher("bob", { pattern: "life", toneHz: 400, seconds: 7 });
      await rig.caller("sip:call-1", "Pat on the phone", { toneHz: 1000, seconds: 60 });
      const started = await rig.recordings.start(rig.meetingId, "rec-a", { alice: "Alice Example" });
      assert.equal(started.state, "recording");
      await rig.recordings.addNames("rec-a", { bob: "Bob Example" });
      // Bob's media stops about 5.5 s into the recording; the recording runs 12 s.
      await poll(
        "12 s of recording",
        async () => (await rig.recordings.status("rec-a")).durationSeconds! >= 12,
        20_000,
      );
      const stopped = await rig.recordings.stop(rig.meetingId);
      assert.equal(stopped.state, "processing");
      assert.equal(stopped.stopReason, "requested");
      const manifest = JSON.parse(await Deno.readTextFile(`${rig.dir}/rec-a/recording.json`));
      assert.deepEqual(
        manifest.files.map((f: { participantId: string; kind: string }) => `${f.participantId}:${f.kind}`).sort(),
        ["alice:audio", "alice:camera", "bob:audio", "bob:camera", "sip-call-1:phone"],
      );

      const ready = await poll("the recording to be ready", async () => {
        const s = await rig.recordings.status("rec-a");
        if (s.state === "failed") throw new Error(`failed: ${s.reason}`);
        return s.state === "ready" ? s : null;
      }, 120_000);
      const mp4 = await rig.recordings.filePath("rec-a");
      const p = await probe(mp4);
      assert.equal(p.videoCodec, "h264");
      assert.equal(p.audioCodec, "aac");
      assert.deepEqual([p.width, p.height], [1280, 720]);
      assert.ok(p.faststart, "moov before mdat");
      const recorded = (Date.parse(stopped.stoppedAt!) - Date.parse(stopped.startedAt)) / 1000;
      assert.ok(
        Math.abs(p.durationSeconds - recorded) <= 2,
        `duration ${p.durationSeconds} s vs ${recorded} s recorded`,
      );
      assert.equal(ready.sizeBytes, (await Deno.stat(mp4)).size);

      // Three people at first: Alice and Bob on the top row (names sort them), the caller below.
      const aliceTile = { x: 40, y: 40, w: 560, h: 240 };
      const bobTile = { x: 680, y: 40, w: 560, h: 240 };
      const aliceMoves = await motion(mp4, aliceTile, { from: 1, to: 4 });
      const bobMoves = await motion(mp4, bobTile, { from: 1, to: 4 });
      assert.ok(aliceMoves > 1, `Alice's tile moves (YDIF ${aliceMoves})`);
      assert.ok(bobMoves > 1, `Bob's tile moves while he is there (YDIF ${bobMoves})`);
      // After Bob left only Alice (left) and the caller's name card (right) remain: nothing moves there.
      const end = p.durationSeconds;
      const bobGone = await motion(mp4, bobTile, { from: end - 3, to: end - 0.5 });
      assert.ok(bobGone < 0.3, `Bob is gone at the end (YDIF ${bobGone})`);
      const aliceLater = await motion(mp4, { x: 40, y: 200, w: 560, h: 300 }, { from: end - 3, to: end - 0.5 });
      assert.ok(aliceLater > 1, `Alice fills the left half at the end (YDIF ${aliceLater})`);

      const tone = await bandVolume(mp4, 1000, { from: 1, to: end - 1 });
      const quiet = await bandVolume(mp4, 2500, { from: 1, to: end - 1 });
      assert.ok(tone > -40, `the caller's 1 kHz tone is in the mix (${tone} dB)`);
      assert.ok(tone - quiet > 20, `1 kHz ${tone} dB stands above 2.5 kHz ${quiet} dB`);

      // Only the composed file and the two descriptions stay.
      const left = (await Array.fromAsync(Deno.readDir(`${rig.dir}/rec-a`))).map((e) => e.name).sort();
      assert.deepEqual(left, ["job.json", "recording.json", "recording.mp4"]);
    } finally {
      await rig.stop();
    }
  },
});

/** A tmpfs of `mb` MiB mounted on a new folder; unmounted by the returned function. */
async function tmpfs(mb: number): Promise<{ dir: string; unmount: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "talkspace-rec-tmpfs-" });
  const out = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", `size=${mb}m`, "tmpfs", dir] }).output();
  if (!out.success) throw new Error(`mount tmpfs: ${new TextDecoder().decode(out.stderr)}`);
  return {
    dir,
    unmount: async () => {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Fills the file system of `dir` until `leaveMb` MiB are free. */
async function fill(dir: string, leaveMb: number): Promise<string> {
  const df = await new Deno.Command("df", { args: ["-Pk", dir], stdout: "piped" }).output();
  const freeKb = Number(new TextDecoder().decode(df.stdout).trim().split("\n")[1].trim().split(/\s+/)[3]);
  const path = `${dir}/filler`;
  const bytes = Math.max(0, freeKb * 1024 - leaveMb * 1024 * 1024);
  const file = await Deno.open(path, { write: true, create: true, append: true });
  const chunk = new Uint8Array(1 << 20).fill(7);
  for (let left = bytes; left > 0; left -= chunk.length) {
    await file.write(chunk.subarray(0, Math.min(chunk.length, left)));
  }
  file.close();
  return path;
}

Deno.test({
  name: "recording: refused below the free-space floor; a disk running low stops it cleanly and keeps what it has",
  ignore: missing !== null || !isRoot,
  ...opts,
  fn: async () => {
    const fs = await tmpfs(64);
    // Start needs 40 MiB free; a running recording stops below 10 MiB (a quarter).
    const rig = await startRecordingRig({ dir: fs.dir, env: { RECORDINGS_MIN_FREE_MB: "40" } });
    try {
      await rig.publisher("carol", { pattern: "testsrc2", toneHz: 300, seconds: 60 });
      const filler = await fill(fs.dir, 30);
      await assert.rejects(
        () => rig.recordings.start(rig.meetingId, "rec-full", {}),
        (err: Error) => err instanceof Conflict && /not enough free disk space.*40 MB needed/.test(err.message),
      );
      assert.equal(rig.recordings.recorder.activeFor(rig.meetingId), null);
      await Deno.remove(filler);

      await rig.recordings.start(rig.meetingId, "rec-low", { carol: "Carol" });
      await poll("media in the recording", async () => {
        const files = await Array.fromAsync(Deno.readDir(`${fs.dir}/rec-low`));
        const sizes = await Promise.all(
          files.filter((f) => f.name.endsWith(".mjr")).map((f) => Deno.stat(`${fs.dir}/rec-low/${f.name}`)),
        );
        return sizes.some((s) => s.size > 20_000);
      }, 20_000);
      const lowFiller = await fill(fs.dir, 6);
      const stopped = await poll("the recording to stop on low disk", async () => {
        const s = await rig.recordings.status("rec-low");
        return s.state !== "recording" ? s : null;
      }, 10_000);
      assert.equal(stopped.stopReason, "disk-low");
      // Processing needs room for its output: give it back, then it completes with what was recorded.
      await Deno.remove(lowFiller);
      const ready = await poll("the stopped recording to be ready", async () => {
        const s = await rig.recordings.status("rec-low");
        if (s.state === "failed") throw new Error(`failed: ${s.reason}`);
        return s.state === "ready" ? s : null;
      }, 60_000);
      assert.ok(ready.durationSeconds! >= 1, `kept ${ready.durationSeconds} s`);
      assert.equal((await probe(await rig.recordings.filePath("rec-low"))).videoCodec, "h264");
    } finally {
      await rig.stop();
      await fs.unmount();
    }
  },
});
