// Recordings for page tests, made by the service's own rules: started (record, indexes, marker),
// stopped (processing), then moved on by applyStatus as the gateway's report would (ready with its
// size and length, failed with a reason, or still being prepared with a progress).

import type { Store } from "../../lib/common/store.ts";
import { commitOrThrow } from "../../lib/common/kv.ts";
import type { Meeting } from "../../lib/meetings/store.ts";
import {
  activeEntry,
  getRecordingEntry,
  newRecording,
  type Recording,
  writeStart,
  writeStop,
} from "../../lib/recordings/store.ts";
import { applyStatus, type EngineStatus } from "../../lib/recordings/service.ts";

export interface RecordingFixture {
  state?: "ready" | "failed" | "processing";
  title?: string;
  sizeBytes?: number;
  durationSeconds?: number;
  progress?: number;
  reason?: string;
}

/** A recording of `meeting` (its host's), stopped and then ready (default), failed or being prepared. */
export async function makeRecording(
  kv: Store,
  meeting: Pick<Meeting, "meetingId" | "id" | "hostId" | "title">,
  opts: RecordingFixture = {},
): Promise<Recording> {
  const rec = newRecording({
    meetingId: meeting.meetingId,
    meetingRecordId: meeting.id,
    ownerId: meeting.hostId,
    title: opts.title ?? meeting.title,
    startedBy: meeting.hostId,
  });
  await commitOrThrow(writeStart(kv.atomic(), await activeEntry(kv, meeting.meetingId), rec), "start");
  const stopped: Recording = { ...rec, state: "processing", stoppedAt: new Date().toISOString() };
  const marker = await activeEntry(kv, meeting.meetingId);
  await commitOrThrow(writeStop(kv.atomic(), marker, await getRecordingEntry(kv, rec.id), stopped), "stop");
  const state = opts.state ?? "ready";
  const status: EngineStatus = state === "processing" ? { state, progress: opts.progress ?? 40 } : {
    state,
    durationSeconds: opts.durationSeconds ?? 95,
    sizeBytes: opts.sizeBytes ?? 1_500_000,
    reason: state === "failed" ? (opts.reason ?? "Nothing was recorded.") : undefined,
  };
  return (await applyStatus({ kv, engine: null }, rec.id, status))!;
}
