// The browser's file routes of a recording (/recordings/:id/file for its host, /r/:token/file for a
// share link) stream a real gateway's file: a gateway process (with its Janus) serves a ready
// recording folder holding an MP4 ffmpeg made; Range answers (206 with Content-Range, 416 past the
// end) and the bytes come through unchanged, `?download=1` saves it under the recording's title.

import assert from "node:assert/strict";
import { makeTestApp } from "./support/app.ts";
import { startGateway } from "./support/gateway.ts";
import { skipUnlessPrograms } from "./support/tools.ts";
import { createGatewayClient } from "../lib/meetings/gateway_client.ts";
import { createUser } from "../lib/accounts/users.ts";
import { createSession } from "../lib/accounts/sessions.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import { makeRecording } from "./support/recordings.ts";
import { applyStatus } from "../lib/recordings/service.ts";
import { createShareLink } from "../lib/recordings/sharing.ts";

const missing = skipUnlessPrograms("recording_file_test", "janus", "ffmpeg");

Deno.test({
  name: "recording file routes: the gateway's bytes by Range for the host and a share link; download by title",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const root = await Deno.makeTempDir({ prefix: "talkspace-rec-file-" });
    const dir = `${root}/recordings`;
    const gw = await startGateway({
      DATA_DIR: `${root}/gateway`,
      RECORDINGS_DIR: dir,
      RECORDINGS_MIN_FREE_MB: "0",
      SIP_PORT: "0",
    });
    const t = await makeTestApp({}, { gateway: createGatewayClient({ url: gw.url, secret: gw.secret }) });
    try {
      const host = await createUser(t.kv, { name: "Hanna", email: "hanna@example.org", passwordHash: "x" });
      const meeting = await createMeeting(t.kv, { hostId: host.id, title: "Design review" });
      let rec = await makeRecording(t.kv, { ...meeting, title: "Design review: März" }, { state: "processing" });

      // The folder the gateway would have left: its manifest, a ready job, the MP4.
      const folder = `${dir}/${rec.id}`;
      await Deno.mkdir(folder, { recursive: true });
      const made = await new Deno.Command("ffmpeg", {
        args: [
          "-v",
          "error",
          "-f",
          "lavfi",
          "-i",
          "testsrc2=size=320x180:rate=15",
          "-f",
          "lavfi",
          "-i",
          "sine=f=440",
          "-t",
          "3",
          "-c:v",
          "libx264",
          "-preset",
          "ultrafast",
          "-c:a",
          "aac",
          "-movflags",
          "+faststart",
          `${folder}/recording.mp4`,
        ],
      }).output();
      assert.ok(made.success, new TextDecoder().decode(made.stderr));
      const mp4 = await Deno.readFile(`${folder}/recording.mp4`);
      const now = Date.now();
      await Deno.writeTextFile(
        `${folder}/recording.json`,
        JSON.stringify({
          version: 1,
          recordingId: rec.id,
          meetingId: meeting.meetingId,
          startedAt: now - 5000,
          stoppedAt: now,
          stopReason: "requested",
          names: {},
          files: [],
          talking: [],
        }),
      );
      await Deno.writeTextFile(
        `${folder}/job.json`,
        JSON.stringify({
          state: "ready",
          progress: 100,
          reason: null,
          durationSeconds: 3,
          sizeBytes: mp4.length,
          attempts: 1,
          updatedAt: now,
        }),
      );
      rec = (await applyStatus({ kv: t.kv, engine: null }, rec.id, {
        state: "ready",
        durationSeconds: 3,
        sizeBytes: mp4.length,
      }))!;

      const client = t.client();
      client.cookies.set("ts_session", (await createSession(t.kv, host.id, "full")).token);
      const { token } = await createShareLink(t.kv, rec, { days: 1, passcode: "" }, {
        userId: host.id,
        email: host.email,
      });
      for (const path of [`/recordings/${rec.id}/file`, `/r/${token}/file`]) {
        const whole = await client.get(path);
        assert.equal(whole.status, 200, path);
        assert.equal(whole.headers.get("content-type"), "video/mp4");
        assert.equal(whole.headers.get("accept-ranges"), "bytes");
        assert.deepEqual(new Uint8Array(await whole.arrayBuffer()), mp4, `${path}: the whole file`);

        const part = await client.get(path, { range: "bytes=100-1099" });
        assert.equal(part.status, 206, path);
        assert.equal(part.headers.get("content-range"), `bytes 100-1099/${mp4.length}`);
        assert.deepEqual(new Uint8Array(await part.arrayBuffer()), mp4.slice(100, 1100), `${path}: the range's bytes`);

        const past = await client.get(path, { range: `bytes=${mp4.length + 10}-` });
        assert.equal(past.status, 416, path);
        await past.body?.cancel();

        const saved = await client.get(`${path}?download=1`, { range: "bytes=0-0" });
        assert.equal(saved.headers.get("content-disposition"), 'attachment; filename="Design review Marz.mp4"');
        await saved.body?.cancel();
      }
      // Someone else is told it does not exist, before the gateway is asked.
      const otto = await createUser(t.kv, { name: "Otto", email: "otto@example.org", passwordHash: "x" });
      const stranger = t.client();
      stranger.cookies.set("ts_session", (await createSession(t.kv, otto.id, "full")).token);
      assert.equal((await stranger.get(`/recordings/${rec.id}/file`)).status, 404);
    } finally {
      t.close();
      await gw.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
