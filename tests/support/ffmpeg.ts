// ffmpeg as a test camera: a test pattern encoded to RTP, for the room-system video tests (the room
// system's camera, or the speaker's forwarded camera).

/** Arguments for `ffmpeg` sending a 320×240, 15 fps test pattern as `codec` RTP to 127.0.0.1:port. */
export function testCameraArgs(opts: {
  codec: "vp8" | "h264";
  port: number;
  payloadType: number;
  ssrc: number;
  /** Frames between key frames (15 = one a second). */
  gop?: number;
  seconds?: number;
}): string[] {
  const gop = String(opts.gop ?? 30);
  const enc = opts.codec === "h264"
    ? ["-c:v", "libx264", "-profile:v", "baseline", "-tune", "zerolatency", "-g", gop, "-pix_fmt", "yuv420p"]
    : ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-g", gop, "-b:v", "300k", "-pix_fmt", "yuv420p"];
  return [
    "-hide_banner",
    "-loglevel",
    "error",
    "-re",
    "-f",
    "lavfi",
    "-i",
    "testsrc=size=320x240:rate=15",
    "-t",
    String(opts.seconds ?? 120),
    ...enc,
    "-payload_type",
    String(opts.payloadType),
    "-ssrc",
    String(opts.ssrc),
    "-f",
    "rtp",
    `rtp://127.0.0.1:${opts.port}?rtcpport=${opts.port + 1}&pkt_size=1200`,
  ];
}
