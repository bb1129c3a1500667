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
  /** What the media ffmpegs said on stderr (errors only). */
  errors(): string;
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

/** A 10 s VP8 + Opus clip of a moving pattern and a tone (cached per run directory). */
async function encodeClip(dir: string, pattern: string, size: string, toneHz: number): Promise<string> {
  const path = `${dir}/clip-${pattern}-${size}-${toneHz}.webm`;
  if (await Deno.stat(path).then(() => true, () => false)) return path;
  const source = pattern === "life" ? `life=size=${size}:rate=25:mold=10:ratio=0.4` : `${pattern}=size=${size}:rate=25`;
  const out = await new Deno.Command("ffmpeg", {
    args: ["-hide_banner", "-loglevel", "error", "-nostdin", "-y", "-f", "lavfi", "-i", source, "-f", "lavfi"]
      .concat(["-i", `sine=frequency=${toneHz}:sample_rate=48000`, "-t", "10", "-c:v", "libvpx", "-deadline"])
      .concat(["realtime", "-cpu-used", "8", "-g", "50", "-b:v", "600k", "-pix_fmt", "yuv420p", "-c:a", "libopus"])
      .concat(["-b:a", "32k", "-frame_duration", "20", path]),
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`encoding a test clip failed: ${new TextDecoder().decode(out.stderr)}`);
  return path;
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
  let errors = "";
  // Where callers' ffmpeg sends its RTCP (the AudioBridge has no RTCP socket for plain-RTP legs).
  let sink: Deno.DatagramConn | null = null;
  const rtcpSink = () => {
    sink ??= Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    return sink.addr as Deno.NetAddr;
  };
  const spawn = (args: string[]) => {
    const child = ffmpeg(args);
    children.push(child);
    // Read so the pipe never fills; kept for a failing test's message.
    void (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) errors += chunk;
    })().catch(() => {});
  };
  return {
    janus,
    recordings,
    meetingId,
    dir,
    errors: () => errors,
    async publisher(display, p) {
      const pub = await janus.rooms.addRemotePublisher(meetingId, {
        display,
        streams: [
          { type: "video", mindex: 0, mid: "0", codec: "vp8", description: "camera" },
          { type: "audio", mindex: 1, mid: "1", codec: "opus" },
        ],
      });
      // ffmpeg sends RTCP too: to a port nobody listens on, the ICMP answer would make it give up
      // after a few seconds ("Connection refused"), so it goes to the remote publisher's RTCP port.
      // ffmpeg sends RTCP too: to a port nobody listens on, the ICMP answer would make it give up
      // after a few seconds ("Connection refused"), so it goes to the remote publisher's RTCP port.
      const url = `rtp://127.0.0.1:${pub.port}?pkt_size=1200&rtcpport=${pub.rtcpPort ?? pub.port + 1}`;
      // Encoded once, then sent in a loop without re-encoding: live encoders fall behind real time
      // on a busy machine, and the media (so the MP4) would come out shorter than the recording.
      const clip = await encodeClip(janus.dataDir, p.pattern, p.size ?? "640x360", p.toneHz);
      spawn([
        "-re",
        "-stream_loop",
        "-1",
        "-i",
        clip,
        "-t",
        String(p.seconds),
        "-map",
        "0:v",
        "-c",
        "copy",
        "-payload_type",
        String(VP8_PT),
        "-ssrc",
        "1000",
        "-f",
        "rtp",
        url,
        "-map",
        "0:a",
        "-c",
        "copy",
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
        `rtp://${joined.janus.host}:${joined.janus.port}?rtcpport=${rtcpSink().port}`,
      ]);
    },
    async stop() {
      for (const c of children) {
        try {
          c.kill("SIGKILL");
        } catch { /* exited already */ }
        await c.status;
      }
      sink?.close();
      recordings.jobs.stop();
      await recordings.recorder.stopAll("requested").catch(() => {});
      await janus.stop();
    },
  };
}
