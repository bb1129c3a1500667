// Janus's .mjr recordings through janus-pp-rec (Debian's janus-tools): the JSON header (kind,
// codec, stream description, when the first packet was written) with the extended report (packets,
// duration from the RTP timestamps), and the conversion into a file ffmpeg reads.

export const PP_REC = Deno.env.get("JANUS_PP_REC") ?? "janus-pp-rec";

export interface MjrInfo {
  type: "audio" | "video" | "data";
  codec: string;
  /** The VideoRoom stream's description ("camera", "screen"), when the publisher gave one. */
  description: string | null;
  /** Microseconds since the epoch when Janus wrote the first packet: the file's place in time. */
  firstPacketUs: number;
  /** From the extended report (absent with headerOnly). */
  packets: number | null;
  durationSeconds: number | null;
}

/** A tool the processing needs is not installed. */
export class MissingTool extends Error {
  constructor(readonly tool: string, readonly debianPackage: string) {
    super(`${tool} is not installed (Debian package ${debianPackage})`);
    this.name = "MissingTool";
  }
}

async function run(cmd: string, args: string[], debianPackage: string): Promise<Deno.CommandOutput> {
  try {
    return await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" }).output();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new MissingTool(cmd, debianPackage);
    throw err;
  }
}

/** Reads a recording's header (and, unless headerOnly, the extended report over all its packets). */
export async function mjrInfo(path: string, opts: { headerOnly?: boolean } = {}): Promise<MjrInfo> {
  const out = await run(PP_REC, [opts.headerOnly ? "--json" : "--extended-json", path], "janus-tools");
  const text = new TextDecoder().decode(out.stdout).trim();
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(text);
  } catch {
    throw new Error(`janus-pp-rec gave no header for ${path}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  const t = header.t;
  const ext = header.extended as { packets?: number; duration?: number } | undefined;
  return {
    type: t === "a" ? "audio" : t === "v" ? "video" : "data",
    codec: String(header.c ?? ""),
    description: typeof header.d === "string" ? header.d : null,
    firstPacketUs: Number(header.u ?? header.s ?? 0),
    packets: typeof ext?.packets === "number" ? ext.packets : null,
    durationSeconds: typeof ext?.duration === "number" ? ext.duration : null,
  };
}

/** The container janus-pp-rec writes a codec into (no transcoding: it only re-orders and muxes). */
export function containerFor(info: MjrInfo): string | null {
  const c = info.codec.toLowerCase();
  if (info.type === "video") return c === "vp8" || c === "vp9" ? "webm" : c === "h264" || c === "av1" ? "mp4" : null;
  if (info.type === "audio") {
    return c === "opus" || c === "multiopus" ? "opus" : /^(pcmu|pcma|g722|g711)/.test(c) ? "wav" : null;
  }
  return null;
}

/** Converts one recording; throws with janus-pp-rec's own words when it fails. */
export async function convertMjr(source: string, destination: string, onSpawn?: (pid: number) => void): Promise<void> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(PP_REC, {
      args: ["-d", "2", source, destination],
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new MissingTool(PP_REC, "janus-tools");
    throw err;
  }
  onSpawn?.(child.pid);
  const out = await child.output();
  const size = (await Deno.stat(destination).catch(() => null))?.size ?? 0;
  if (!out.success || size === 0) {
    const text = new TextDecoder().decode(out.stderr).trim() || new TextDecoder().decode(out.stdout).trim();
    throw new Error(`janus-pp-rec could not convert ${source.slice(source.lastIndexOf("/") + 1)}: ${text.slice(-300)}`);
  }
}
