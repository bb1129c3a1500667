// Recordings for route handlers: the domain's dependencies from the request's, and the file
// streamed from the gateway to the person (the web app keeps no files: it passes the gateway's
// bytes and its Range answer through).

import type { Context } from "hono";
import { Conflict, NotFound, Unavailable } from "../common/errors.ts";
import type { Recording, RecordingDeps } from "../recordings/service.ts";
import { type RecordingAccess, recordingAccess } from "../recordings/sharing.ts";
import { getMeeting } from "../meetings/store.ts";
import type { Env } from "./types.ts";

/** The recordings domain's dependencies for this request. */
export function recordingDeps(c: Context<Env>): RecordingDeps {
  const { kv, gateway, config } = c.get("deps");
  return { kv, engine: gateway, retentionDays: config.recordingRetentionDays };
}

/** The headers of the gateway's file answer a browser needs (length, range, type). */
const PASSED = ["content-type", "content-length", "content-range", "accept-ranges"];

/** A download file name from the title: letters, digits, spaces, dashes; ".mp4" added. */
export function downloadName(title: string): string {
  const base = title.normalize("NFKD").replace(/[^\w\s-]/g, "").replace(/\s+/g, " ").trim().slice(0, 80);
  return `${base || "recording"}.mp4`;
}

/**
 * The recording's MP4 for a person: `Range` goes to the gateway and its 200/206/416 comes back with
 * the body streamed through. `?download=1` asks the browser to save it instead of playing it.
 */
export async function streamRecordingFile(c: Context<Env>, rec: Recording): Promise<Response> {
  const gateway = c.get("deps").gateway;
  if (!gateway) throw new Unavailable("Recordings are kept by the media gateway, which is not configured");
  if (rec.state !== "ready") throw new Conflict("The recording is not ready yet");
  const res = await gateway.recordingFile(rec.id, c.req.header("range") ?? null);
  if (![200, 206, 416].includes(res.status)) {
    await res.body?.cancel();
    throw new Unavailable("The media gateway could not send the recording; try again in a moment");
  }
  const headers = new Headers();
  for (const name of PASSED) {
    const v = res.headers.get(name);
    if (v) headers.set(name, v);
  }
  const disposition = c.req.query("download") === "1" ? "attachment" : "inline";
  headers.set("content-disposition", `${disposition}; filename="${downloadName(rec.title)}"`);
  headers.set("cache-control", "private, no-store");
  return new Response(res.body, { status: res.status, headers });
}

/** A recording as the API shows it. */
export function apiRecording(r: Recording) {
  return {
    recordingId: r.id,
    meetingId: r.meetingId,
    title: r.title,
    state: r.state,
    progress: r.progress,
    startedAt: r.startedAt,
    stoppedAt: r.stoppedAt,
    durationSeconds: r.durationSeconds,
    sizeBytes: r.sizeBytes,
    ...(r.state === "failed" ? { reason: r.reason } : {}),
    expiresAt: r.expiresAt,
    fileUrl: r.state === "ready" ? `/api/v1/recordings/${r.id}/file` : null,
  };
}

/** The signed-in person acting on a recording. */
export function recordingActor(c: Context<Env>) {
  const user = c.get("user")!;
  return { userId: user.id, email: user.email };
}

/** The path's recording with what the signed-in viewer may do with it (lib/recordings/sharing.ts); 404 otherwise. */
export function recordingForPage(c: Context<Env>): Promise<{ recording: Recording; access: RecordingAccess }> {
  const { kv } = c.get("deps");
  return recordingAccess(
    kv,
    c.req.param("recordingId") ?? "",
    c.get("user")!.id,
    (r) => getMeeting(kv, r.meetingRecordId),
  );
}

/** The path's recording when the signed-in person may manage it (host, co-host); 404 for everyone else. */
export async function managedRecording(c: Context<Env>): Promise<Recording> {
  const { recording, access } = await recordingForPage(c);
  if (access !== "manage") throw new NotFound("recordings.error.notFound");
  return recording;
}
