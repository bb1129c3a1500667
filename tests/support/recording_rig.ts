// Test support for recording without browsers: a Janus of our own with the gateway's managers in
// this process (tests/rtp/janus_support.ts), a meeting room, and media through Janus's real
// recorders: "publishers" are VideoRoom remote publishers fed by ffmpeg (a VP8 test pattern and an
// Opus tone over plain RTP on loopback, as a room system's camera arrives), and "callers" are
// AudioBridge plain-RTP participants of group sip fed an Opus tone, as the SIP relay feeds them.

import { startTestJanus, type TestJanus } from "../rtp/janus_support.ts";
import { recordingConfig } from "../../gateway/recording/config.ts";
import { Recordings } from "../../gateway/recording/service.ts";

export interface RigOptions {
  env?: Record<string, string>;
  /** The recordings directory (default: a folder in the rig's temporary directory). */
  dir?: string;
  freeMb?: (dir: string) => Promise<number>;
}

export interface RecordingRig {
  janus: TestJanus;
  recordings: Recordings;
  meetingId: string;
  dir: string;
  /** A remote publisher with a moving test pattern (lavfi source) and a tone, for `seconds`. */
  publisher(display: string, opts: { pattern: string; toneHz: number; seconds: number; size?: string }): Promise<void>;
  /** A phone caller in the SIP bridge playing a tone. */
  caller(key: string, display: string, opts: { toneHz: number; seconds: number }): Promise<void>;
  stop(): Promise<void>;
}

const OPUS_PT = 111;
const VP8_PT = 96;

function ffmpeg(args: string[]): Deno.ChildProcess {
  return new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-loglevel", "error", "-nostdin", ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

export async function startRecordingRig(opts: RigOptions = {}): Promise<RecordingRig> {
  const janus = await startTestJanus();
  const dir = opts.dir ?? `${janus.dataDir}/recordings`;
  await Deno.mkdir(dir, { recursive: true });
  const meetingId = String(1000000000 + Math.floor(Math.random() * 8999999999)).slice(0, 10);
  await janus.rooms.ensureRoom(meetingId, { title: "recording rig" });
  const config = recordingConfig({ RECORDINGS_MIN_FREE_MB: "0", ...opts.env }, janus.dataDir);
  const recordings = new Recordings({
    config: { ...config, dir: await Deno.realPath(dir) },
    rooms: janus.rooms,
    bridges: janus.bridges,
    freeMb: opts.freeMb,
  });
  const children: Deno.ChildProcess[] = [];
  const spawn = (args: string[]) => {
    const child = ffmpeg(args);
    children.push(child);
    // Output is only read so the pipe never fills.
    void child.stderr.pipeTo(new WritableStream()).catch(() => {});
  };
  return {
    janus,
    recordings,
    meetingId,
    dir,
    async publisher(display, p) {
      const pub = await janus.rooms.addRemotePublisher(meetingId, {
        display,
        streams: [
          { type: "video", mindex: 0, mid: "0", codec: "vp8", description: "camera" },
          { type: "audio", mindex: 1, mid: "1", codec: "opus" },
        ],
      });
      const url = `rtp://127.0.0.1:${pub.port}?pkt_size=1200`;
      spawn([
        "-re",
        "-f",
        "lavfi",
        "-i",
        p.pattern === "life"
          ? `life=size=${p.size ?? "640x360"}:rate=25:mold=10:ratio=0.4`
          : `${p.pattern}=size=${p.size ?? "640x360"}:rate=25`,
        "-re",
        "-f",
        "lavfi",
        "-i",
        `sine=frequency=${p.toneHz}:sample_rate=48000`,
        "-t",
        String(p.seconds),
        "-map",
        "0:v",
        "-c:v",
        "libvpx",
        "-deadline",
        "realtime",
        "-cpu-used",
        "8",
        "-g",
        "50",
        "-b:v",
        "600k",
        "-pix_fmt",
        "yuv420p",
        "-payload_type",
        String(VP8_PT),
        "-ssrc",
        "1000",
        "-f",
        "rtp",
        url,
        "-map",
        "1:a",
        "-c:a",
        "libopus",
        "-b:a",
        "32k",
        "-frame_duration",
        "20",
        "-payload_type",
        String(OPUS_PT),
        "-ssrc",
        "1010",
        "-f",
        "rtp",
        url,
      ]);
    },
    async caller(key, display, c) {
      await janus.bridges.ensureRoom(meetingId);
      const joined = await janus.bridges.joinPlainRtp(meetingId, {
        key,
        display,
        group: "sip",
        codec: "opus",
        target: null,
        payloadType: OPUS_PT,
      });
      spawn([
        "-re",
        "-f",
        "lavfi",
        "-i",
        `sine=frequency=${c.toneHz}:sample_rate=48000`,
        "-t",
        String(c.seconds),
        "-c:a",
        "libopus",
        "-b:a",
        "32k",
        "-frame_duration",
        "20",
        "-payload_type",
        String(OPUS_PT),
        "-ssrc",
        "4242",
        "-f",
        "rtp",
        `rtp://${joined.janus.host}:${joined.janus.port}`,
      ]);
    },
    async stop() {
      for (const c of children) {
        try {
          c.kill("SIGKILL");
        } catch { /* exited already */ }
        await c.status;
      }
      recordings.jobs.stop();
      await recordings.recorder.stopAll("requested").catch(() => {});
      await janus.stop();
    },
  };
}
