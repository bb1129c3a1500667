// VP8 → H.264 for room systems that only take H.264 (most SIP room systems): browsers publish VP8
// and Janus does not transcode, so the speaker's camera goes through one ffmpeg process per such
// call. ffmpeg is a well-kept, widely packaged codec toolbox; writing a video codec by hand is not
// an option, and GStreamer's H.264 encoder is not in Debian's default plugin set.
//
//   VideoRelay ──VP8 RTP (one continuous stream)──▶ ffmpeg (SDP input on 127.0.0.1)
//   VideoRelay ◀──H.264 RTP (baseline, packetization mode 1, SPS/PPS before every IDR)── ffmpeg
//
// ffmpeg cannot take key frame requests, so it makes an IDR frame every `keyframeSeconds`; the
// picture is scaled to `height` lines to keep the encoder cheap. Its stderr is kept (last 4 KB) for
// the log when it dies.

import { logger } from "../../lib/common/log.ts";

const log = logger("transcoder");

/** Payload types on the loopback legs to and from ffmpeg. */
const VP8_PT = 96;
const H264_PT = 97;

export interface TranscoderOptions {
  callId: string;
  /** The ffmpeg binary. */
  ffmpeg: string;
  /** Output height in lines; the width is 16:9 of it (other pictures are letterboxed). */
  height?: number;
  fps?: number;
  keyframeSeconds?: number;
  bitrateKbps?: number;
}

/** Whether `ffmpeg` runs and has libx264 and libvpx (answers the binary, or null). */
export async function findTranscoder(binary = "ffmpeg"): Promise<string | null> {
  try {
    const out = await new Deno.Command(binary, { args: ["-hide_banner", "-encoders"], stdout: "piped", stderr: "null" })
      .output();
    const text = new TextDecoder().decode(out.stdout);
    return out.success && /\blibx264\b/.test(text) ? binary : null;
  } catch {
    return null;
  }
}

/** An even UDP port on loopback that was free a moment ago (ffmpeg binds it and the next one). */
function freeEvenPort(): number {
  for (let i = 0; i < 100; i++) {
    const a = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const port = (a.addr as Deno.NetAddr).port;
    a.close();
    if (port % 2 === 0 && port < 65534) {
      try {
        const b = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: port + 1 });
        b.close();
        return port;
      } catch { /* taken: try again */ }
    }
  }
  throw new Error("no free even port pair on loopback");
}

export class VideoTranscoder {
  #o: TranscoderOptions;
  #child: Deno.ChildProcess;
  #input: number;
  #socket: Deno.DatagramConn;
  #listeners: ((packet: Uint8Array) => void)[] = [];
  #stderr = "";
  #closed = false;
  #loops: Promise<void>[] = [];
  packetsIn = 0;
  packetsOut = 0;
  /** Settles when ffmpeg exits (after stop(), or on its own). */
  readonly exited: Promise<void>;
  readonly startedAt = performance.now();

  private constructor(o: TranscoderOptions, child: Deno.ChildProcess, input: number, socket: Deno.DatagramConn) {
    this.#o = o;
    this.#child = child;
    this.#input = input;
    this.#socket = socket;
    this.#loops.push(this.#readOutput(), this.#readStderr());
    this.exited = child.status.then((s) => {
      if (this.#closed) return;
      // ffmpeg gives up on its input after ~10 s without packets (the speaker's camera went off, the
      // last browser left): the relay starts a new one when video comes again.
      log.info("ffmpeg exited", { callId: o.callId, exitStatus: s.code, stderr: this.#stderr.slice(-600) });
      this.#closed = true;
      try {
        this.#socket.close();
      } catch { /* closed */ }
    });
  }

  /** Starts ffmpeg; its H.264 RTP comes back to a socket of ours. */
  static async start(o: TranscoderOptions): Promise<VideoTranscoder> {
    const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    const output = (socket.addr as Deno.NetAddr).port;
    const input = freeEvenPort();
    const dir = await Deno.makeTempDir({ prefix: "talkspace-transcode-" });
    const sdp = `${dir}/in.sdp`;
    await Deno.writeTextFile(
      sdp,
      [
        "v=0",
        "o=- 0 0 IN IP4 127.0.0.1",
        "s=speaker",
        "c=IN IP4 127.0.0.1",
        "t=0 0",
        `m=video ${input} RTP/AVP ${VP8_PT}`,
        `a=rtpmap:${VP8_PT} VP8/90000`,
        "",
      ].join("\r\n"),
    );
    const fps = o.fps ?? 25;
    const height = o.height ?? 360;
    const width = Math.round((height * 16) / 9 / 2) * 2;
    const gop = Math.round(fps * (o.keyframeSeconds ?? 2));
    const kbps = o.bitrateKbps ?? 800;
    const args = [
      "-hide_banner",
      "-loglevel",
      "warning",
      "-nostdin",
      "-protocol_whitelist",
      "file,udp,rtp",
      "-fflags",
      "nobuffer",
      "-flags",
      "low_delay",
      "-reorder_queue_size",
      "0",
      "-analyzeduration",
      "0",
      "-probesize",
      "32",
      "-i",
      sdp,
      "-an",
      "-vf",
      // A fixed picture size: speakers' cameras differ, and the encoder cannot change size midway.
      `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,fps=${fps}`,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      "-tune",
      "zerolatency",
      "-profile:v",
      "baseline",
      "-pix_fmt",
      "yuv420p",
      "-g",
      String(gop),
      "-x264-params",
      `keyint=${gop}:min-keyint=${gop}:scenecut=0:repeat-headers=1`,
      "-b:v",
      `${kbps}k`,
      "-maxrate",
      `${kbps}k`,
      "-bufsize",
      `${Math.round(kbps / 2)}k`,
      "-payload_type",
      String(H264_PT),
      "-f",
      "rtp",
      `rtp://127.0.0.1:${output}?pkt_size=1200`,
    ];
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(o.ffmpeg, { args, stdin: "null", stdout: "null", stderr: "piped" }).spawn();
    } catch (err) {
      socket.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      throw err;
    }
    // ffmpeg has read the SDP once it runs; the file is not needed afterwards.
    child.status.finally(() => Deno.remove(dir, { recursive: true }).catch(() => {}));
    log.info("ffmpeg started", { callId: o.callId, pid: child.pid, input, output });
    return new VideoTranscoder(o, child, input, socket);
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** ffmpeg's CPU use since it started, in % of one core (Linux /proc; null elsewhere or after exit). */
  cpuPercent(): number | null {
    try {
      const stat = Deno.readTextFileSync(`/proc/${this.#child.pid}/stat`);
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100 per second)
      const seconds = (performance.now() - this.startedAt) / 1000;
      return seconds > 0 ? Math.round((ticks / 100 / seconds) * 1000) / 10 : null;
    } catch {
      return null;
    }
  }

  /** H.264 RTP packets from ffmpeg (payload type 97, ffmpeg's SSRC). */
  onPacket(listener: (packet: Uint8Array) => void) {
    this.#listeners.push(listener);
  }

  /** One VP8 RTP packet of the continuous speaker stream (its payload type is set here). */
  send(packet: Uint8Array) {
    if (this.#closed) return;
    const copy = packet.slice();
    copy[1] = (copy[1] & 0x80) | VP8_PT;
    this.packetsIn++;
    this.#socket.send(copy, { transport: "udp", hostname: "127.0.0.1", port: this.#input }).catch(() => {});
  }

  async #readOutput() {
    while (!this.#closed) {
      let data: Uint8Array;
      try {
        [data] = await this.#socket.receive();
      } catch {
        return;
      }
      if (data.length < 12 || (data[1] & 0x7f) !== H264_PT) continue; // its RTCP goes elsewhere
      this.packetsOut++;
      for (const l of this.#listeners) l(data);
    }
  }

  async #readStderr() {
    try {
      for await (const chunk of this.#child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr = (this.#stderr + chunk).slice(-4096);
      }
    } catch { /* closed */ }
  }

  /** Stops ffmpeg (SIGTERM, then SIGKILL after 2 s) and closes the socket. Idempotent. */
  async stop() {
    if (this.#closed) return;
    this.#closed = true;
    const cpu = this.cpuPercent();
    try {
      this.#child.kill("SIGTERM");
    } catch { /* exited */ }
    const killer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* exited */ }
    }, 2000);
    await this.#child.status;
    clearTimeout(killer);
    try {
      this.#socket.close();
    } catch { /* closed */ }
    await Promise.all(this.#loops);
    log.info("ffmpeg stopped", {
      callId: this.#o.callId,
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      cpuPercent: cpu,
      // Nothing came out: what ffmpeg said is the only clue.
      ...(this.packetsOut === 0 ? { stderr: this.#stderr.slice(-1500) } : {}),
    });
  }
}
