// Recording a meeting, the web side (the gateway records and produces the file, docs/architecture.md
// "Recording"): who may start and stop, the record's states, the meeting message that tells everyone
// (banner, red dot, chat entry, spoken notice), the audit entries, and deletion and retention.
//
// States: recording → processing → ready | failed, and recording → failed when the media side
// could not start or was lost. Every change of state is checked against that table; the record's
// state only moves forward, so a late status from the gateway never undoes a newer one.

import type { Store } from "../common/store.ts";
import { Conflict, Forbidden, Unavailable, ValidationError } from "../common/errors.ts";
import { logger } from "../common/log.ts";
import { transitionTable } from "../common/state.ts";
import { PeerError } from "../contracts/problem.ts";
import { addAuditEntry } from "../accounts/audit.ts";
import { commitChange } from "../meetings/events.ts";
import { countPresent, listPresent } from "../meetings/participants.ts";
import { roleOf } from "../meetings/store.ts";
import type { Meeting, MeetingRole } from "../meetings/store.ts";
import type { MediaGateway, RecordingStatus } from "../contracts/gateway_api.ts";
import { listAttendance } from "../meetings/attendance.ts";
import { isModerator } from "../meetings/settings.ts";
import {
  activeEntry,
  deleteRecordingRecords,
  enqueuePoll,
  expiredRecordingIds,
  getRecording,
  getRecordingEntry,
  getRetentionDays,
  isRecordingPoll,
  newRecording,
  type Recording,
  type RecordingPoll,
  type RecordingState,
  setRetentionDays,
  updateRecording,
  writeOutcome,
  writeStart,
  writeStop,
} from "./store.ts";

export type { Recording, RecordingState } from "./store.ts";

const log = logger("recordings");

const STATES = transitionTable<RecordingState>("recording", {
  recording: ["processing", "failed"],
  processing: ["ready", "failed"],
  ready: [],
  failed: [],
});

/** What recording needs of the media gateway (lib/contracts/gateway_api.ts). */
export type RecordingEngine = Pick<
  MediaGateway,
  "startRecording" | "stopRecording" | "recordingStatus" | "addRecordingNames" | "deleteRecording"
>;

/** How long a ready (or failed) recording is kept before the sweeper deletes it. */
export const DEFAULT_RETENTION_DAYS = 30;

export interface RecordingDeps {
  kv: Store;
  engine: RecordingEngine | null;
  /** Days a recording is kept once done (RECORDING_RETENTION_DAYS). */
  retentionDays?: number;
}

/** The person acting, as the meeting knows them. */
export interface Actor {
  userId: string;
  email: string;
}

/** Whether `role` may start and stop recording in `meeting` (its setting; hosts and co-hosts by default). */
export function mayRecord(meeting: Meeting, role: MeetingRole): boolean {
  const who = meeting.settings.recording ?? "hosts";
  if (who === "off") return false;
  if (who === "everyone") return role !== "guest";
  return isModerator(role);
}

/**
 * Forbidden unless `actor` may start and stop recording: hosts and co-hosts from anywhere (the
 * API), others (a meeting open to everyone's recording) only while they are in the meeting.
 */
async function checkMayRecord(kv: Store, meeting: Meeting, actor: Actor): Promise<void> {
  const role = roleOf(meeting, actor.userId);
  if (!mayRecord(meeting, role)) throw new Forbidden("room.refused.recordNotAllowed");
  if (isModerator(role)) return;
  const present = await listPresent(kv, meeting.meetingId);
  if (!present.some((p) => p.userId === actor.userId)) throw new Forbidden("room.refused.recordJoinFirst");
}

/** Whether this account may see and manage a recording of `meeting`: its host and co-hosts. */
export function mayManage(meeting: Meeting, userId: string): boolean {
  return isModerator(roleOf(meeting, userId));
}

/** The meeting message of a recording starting or stopping: the banner, the dot, the chat entry. */
function recordingEvent(rec: Recording, on: boolean) {
  return { type: "recording", data: { recording: on, recordingId: rec.id } };
}

/**
 * Starts recording a running meeting: Forbidden for someone its setting does not allow, Conflict
 * when it has ended, nobody is in it, or it is already recording. The record, the meeting's marker,
 * the message everyone sees and the audit entry land in one commit; then the gateway starts. When
 * the gateway fails, the recording is marked failed, the message says it stopped, and Unavailable
 * is thrown.
 */
export async function startRecording(deps: RecordingDeps, meeting: Meeting, actor: Actor): Promise<Recording> {
  await checkMayRecord(deps.kv, meeting, actor);
  if (meeting.status === "ended") throw new Conflict("room.refused.recordEnded");
  if (!deps.engine) throw new Unavailable("room.refused.recordNoGateway");
  if ((await countPresent(deps.kv, meeting.meetingId)).count === 0) {
    throw new Conflict("room.refused.recordNobody");
  }
  const rec = newRecording({
    meetingId: meeting.meetingId,
    meetingRecordId: meeting.id,
    ownerId: meeting.hostId,
    title: meeting.title,
    startedBy: actor.userId,
  });
  const done = await commitChange(deps.kv, meeting.meetingId, async () => {
    const marker = await activeEntry(deps.kv, meeting.meetingId);
    if (marker.value) throw new Conflict("room.refused.recordAlready");
    return {
      event: recordingEvent(rec, true),
      result: rec,
      writes: (op) => {
        writeStart(op, marker, rec);
        addAuditEntry(op, {
          actorId: actor.userId,
          actorEmail: actor.email,
          action: "meeting.recording_started",
          targetId: meeting.id,
          targetEmail: "",
          details: { meetingId: meeting.meetingId, recordingId: rec.id },
        });
      },
    };
  });
  if (!done) throw new Conflict("room.refused.recordAlready");
  try {
    const names = Object.fromEntries(
      (await listPresent(deps.kv, meeting.meetingId)).map((p) => [p.participantId, p.name]),
    );
    await deps.engine.startRecording(meeting.meetingId, { recordingId: rec.id, names });
    await enqueuePoll(deps.kv, { recordingId: rec.id, meetingRecordId: meeting.id }, POLL_RECORDING_MS);
  } catch (err) {
    log.error("the gateway could not start recording", { meetingId: meeting.meetingId, error: String(err) });
    await finishRunning(deps, meeting, rec.id, "system", {
      state: "failed",
      reason: "The media server could not start recording. Try again in a moment.",
    });
    throw new Unavailable("room.refused.recordStartFailed");
  }
  log.info("recording started", { meetingId: meeting.meetingId, recordingId: rec.id });
  return rec;
}

/**
 * Stops the meeting's running recording (Conflict when none runs; Forbidden as for starting). The
 * gateway is asked first, so a recording the gateway did not stop is not shown as stopped; then the
 * record goes to processing with the marker, the message and the audit entry in one commit.
 */
export async function stopRecording(deps: RecordingDeps, meeting: Meeting, actor: Actor): Promise<Recording> {
  await checkMayRecord(deps.kv, meeting, actor);
  const marker = await activeEntry(deps.kv, meeting.meetingId);
  if (!marker.value) throw new Conflict("room.refused.recordNotOn");
  if (!deps.engine) throw new Unavailable("room.refused.recordNoGateway");
  await deps.engine.addRecordingNames(marker.value, await namesSince(deps.kv, meeting, marker.value));
  await deps.engine.stopRecording(meeting.meetingId);
  const rec = await finishRunning(deps, meeting, marker.value, actor.userId, { state: "processing" }, actor.email);
  if (!rec) throw new Conflict("room.refused.recordNotOn");
  await enqueuePoll(deps.kv, { recordingId: rec.id, meetingRecordId: meeting.id }, POLL_PROCESSING_MS);
  log.info("recording stopped", { meetingId: meeting.meetingId, recordingId: rec.id });
  return rec;
}

/** Everyone who was in the meeting since the recording started (their tiles' names), by participant. */
async function namesSince(kv: Store, meeting: Meeting, recordingId: string): Promise<Record<string, string>> {
  const rec = await getRecording(kv, recordingId);
  const since = rec?.startedAt ?? "";
  const names: Record<string, string> = {};
  for (const a of await listAttendance(kv, meeting)) {
    if (a.leftAt === null || a.leftAt >= since) names[a.participantId] = a.name;
  }
  return names;
}

/**
 * Moves the running recording `id` out of "recording" (marker removed, message "recording off",
 * audit entry) in one commit. Null when it is not the running one any more.
 */
async function finishRunning(
  deps: RecordingDeps,
  meeting: Meeting,
  id: string,
  by: string,
  to: { state: "processing" } | { state: "failed"; reason: string },
  byEmail = "",
): Promise<Recording | null> {
  const done = await commitChange(deps.kv, meeting.meetingId, async () => {
    const [marker, current] = await Promise.all([
      activeEntry(deps.kv, meeting.meetingId),
      getRecordingEntry(deps.kv, id),
    ]);
    if (marker.value !== id || !current.value || current.value.state !== "recording") return null;
    const now = new Date();
    const days = to.state === "failed" ? await retentionDaysFor(deps, current.value.ownerId) : 0;
    const next: Recording = {
      ...current.value,
      state: STATES.check(current.value.state, to.state, id),
      stoppedAt: now.toISOString(),
      stoppedBy: by,
      durationSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(current.value.startedAt)) / 1000)),
      reason: to.state === "failed" ? to.reason : null,
      expiresAt: to.state === "failed" ? retentionEnd(days, now) : null,
      updatedAt: now.toISOString(),
    };
    return {
      event: recordingEvent(next, false),
      result: next,
      writes: (op) => {
        writeStop(op, marker, current, next);
        if (next.state === "failed") writeOutcome(op, next);
        addAuditEntry(op, {
          actorId: by,
          actorEmail: byEmail,
          action: "meeting.recording_stopped",
          targetId: meeting.id,
          targetEmail: "",
          details: { meetingId: meeting.meetingId, recordingId: id, state: to.state },
        });
      },
    };
  });
  return done?.result ?? null;
}

/** The days `ownerId`'s recordings are kept: an admin's setting for the account, else the server's. */
export async function retentionDaysFor(deps: RecordingDeps, ownerId: string): Promise<number> {
  return (await getRetentionDays(deps.kv, ownerId)) ?? deps.retentionDays ?? DEFAULT_RETENTION_DAYS;
}

function retentionEnd(days: number, from: Date): string {
  return new Date(from.getTime() + days * 86_400_000).toISOString();
}

/** What the gateway reports about a recording it is processing. */
export interface EngineStatus {
  state: "processing" | "ready" | "failed";
  progress?: number;
  durationSeconds?: number;
  sizeBytes?: number;
  reason?: string;
}

/**
 * Applies the gateway's report: progress while processing, then ready (with its size and length)
 * or failed (with a reason). A report that would move the state backwards, or about a recording
 * still running on the web's side, changes nothing. Ready or failed is committed with the bytes
 * it takes and the notice to its host (lib/recordings/notices.ts), so the notice goes out once
 * however often the poll is delivered. Retention is the owner's (an admin may set it per account).
 * Returns the record as it now is.
 */
export async function applyStatus(deps: RecordingDeps, id: string, status: EngineStatus): Promise<Recording | null> {
  const owner = status.state === "processing" ? null : (await getRecording(deps.kv, id))?.ownerId;
  const days = owner ? await retentionDaysFor(deps, owner) : deps.retentionDays ?? DEFAULT_RETENTION_DAYS;
  return await updateRecording(deps.kv, id, (r, op) => {
    if (r.state === "recording" || r.state === "ready" || r.state === "failed") return null;
    if (status.state === "processing") {
      const progress = Math.max(r.progress, Math.min(99, Math.round(status.progress ?? 0)));
      return progress === r.progress ? null : { ...r, progress };
    }
    const now = new Date();
    const next: Recording = {
      ...r,
      state: STATES.check(r.state, status.state, id),
      progress: status.state === "ready" ? 100 : r.progress,
      durationSeconds: status.durationSeconds ?? r.durationSeconds,
      sizeBytes: status.sizeBytes ?? r.sizeBytes,
      reason: status.state === "failed" ? (status.reason ?? "Processing the recording failed.") : null,
      expiresAt: retentionEnd(days, now),
    };
    writeOutcome(op, next);
    return next;
  });
}

/** Renames a recording (its title on the Recordings page and the download's name). */
export async function renameRecording(deps: RecordingDeps, id: string, title: string): Promise<Recording | null> {
  return await updateRecording(deps.kv, id, (r) => (r.title === title ? null : { ...r, title }));
}

/**
 * Deletes a recording: its files on the gateway first (so nothing is left that no record points
 * at), then the record and its index entries. A running recording cannot be deleted (Conflict).
 */
export async function deleteRecording(deps: RecordingDeps, id: string): Promise<void> {
  const current = await getRecordingEntry(deps.kv, id);
  if (!current.value) return;
  if (current.value.state === "recording") throw new Conflict("Stop the recording before deleting it");
  await deps.engine?.deleteRecording(id);
  await deleteRecordingRecords(deps.kv, current);
  log.info("recording deleted", { recordingId: id, meetingId: current.value.meetingId });
}

/** Deletes the recordings whose retention ended (a bounded batch each call). Returns how many. */
export async function sweepExpiredRecordings(deps: RecordingDeps, nowMs = Date.now()): Promise<number> {
  let n = 0;
  for (const id of await expiredRecordingIds(deps.kv, nowMs)) {
    try {
      await deleteRecording(deps, id);
      n++;
    } catch (err) {
      log.warn("deleting an expired recording failed; the next sweep tries again", {
        recordingId: id,
        error: String(err),
      });
    }
  }
  return n;
}

// ---- following the gateway ---------------------------------------------------------------------

/** How often a running recording is checked (the gateway may stop it: disk low, a restart). */
export const POLL_RECORDING_MS = 10_000;
/** How often processing progress is read while the gateway works on the file. */
export const POLL_PROCESSING_MS = 2_000;
/** A gateway that cannot be reached is asked again after this long. */
const POLL_RETRY_MS = 30_000;

/**
 * One status poll (a KV queue message; at least once, so it is idempotent): a running recording
 * the gateway stopped on its own moves to processing (everyone is told), processing progress is
 * copied, and ready or failed ends the polling. A recording the gateway does not know fails.
 */
export async function pollRecording(
  deps: RecordingDeps & { meetingOf: (recordId: string) => Promise<Meeting | null> },
  poll: RecordingPoll,
): Promise<void> {
  const rec = await getRecording(deps.kv, poll.recordingId);
  if (!rec || rec.state === "ready" || rec.state === "failed" || !deps.engine) return;
  const again = (ms: number) => enqueuePoll(deps.kv, poll, ms);
  let status: RecordingStatus;
  try {
    status = await deps.engine.recordingStatus(rec.id);
  } catch (err) {
    if (err instanceof PeerError && err.status === 404) {
      const lost = "The media server no longer has this recording.";
      const meeting = rec.state === "recording" ? await deps.meetingOf(poll.meetingRecordId) : null;
      if (meeting) await finishRunning(deps, meeting, rec.id, "system", { state: "failed", reason: lost });
      else await applyStatus(deps, rec.id, { state: "failed", reason: lost });
      return;
    }
    log.warn("could not read a recording's status from the gateway; trying again", {
      recordingId: rec.id,
      error: String(err),
    });
    return await again(POLL_RETRY_MS);
  }
  if (rec.state === "recording") {
    if (status.state === "recording") return await again(POLL_RECORDING_MS);
    const meeting = await deps.meetingOf(poll.meetingRecordId);
    if (meeting) await finishRunning(deps, meeting, rec.id, "system", { state: "processing" });
    log.info("the gateway stopped a recording", { recordingId: rec.id, why: status.stopReason });
  }
  if (status.state === "recording") return await again(POLL_RECORDING_MS);
  const next = await applyStatus(deps, rec.id, {
    state: status.state,
    progress: status.progress ?? undefined,
    durationSeconds: status.durationSeconds ?? undefined,
    sizeBytes: status.sizeBytes ?? undefined,
    reason: status.reason ?? undefined,
  });
  if (next?.state === "processing") await again(POLL_PROCESSING_MS);
}

/** The recordings' queue work for the process's one listener (lib/reminders/background.ts). */
export function recordingQueueHandler(
  deps: RecordingDeps & { meetingOf: (recordId: string) => Promise<Meeting | null> },
): (message: unknown) => Promise<boolean> {
  return async (message) => {
    if (!isRecordingPoll(message)) return false;
    await pollRecording(deps, message);
    return true;
  };
}

/** Whether the meeting is being recorded now (what people about to enter are told). */
export async function isBeingRecorded(kv: Store, meetingId: string): Promise<boolean> {
  return (await activeEntry(kv, meetingId)).value !== null;
}

// ---- retention per account (admins) --------------------------------------------------------------

/** The most days an admin may keep an account's recordings (as RECORDING_RETENTION_DAYS). */
export const MAX_RETENTION_DAYS = 3650;

/**
 * Sets how long `target`'s recordings are kept (whole days, 1–3650), or with null gives the account
 * the server's setting again; the audit entry is in the same commit. Applies to recordings that
 * become ready or fail from now on. Invalid (field `days`) for anything else.
 */
export async function setAccountRetention(
  kv: Store,
  admin: Actor,
  target: { id: string; email: string },
  days: number | null,
): Promise<void> {
  if (days !== null && (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS)) {
    throw new ValidationError({ days: "recordings.admin.retentionBad" });
  }
  await setRetentionDays(kv, target.id, days, (op) =>
    addAuditEntry(op, {
      actorId: admin.userId,
      actorEmail: admin.email,
      action: "recording.retention_changed",
      targetId: target.id,
      targetEmail: target.email,
      details: { days },
    }));
}
