// /api/v1/meetings/:meetingId/recording: POST starts recording the meeting, DELETE stops it
// (docs/api.md, "Recordings"). Who may is the meeting's `recording` setting (lib/recordings).

import { Hono } from "hono";
import { startRecording, stopRecording } from "../../../../../lib/recordings/service.ts";
import { meetingFromPath } from "../../../../../lib/web/meeting_access.ts";
import { requireUser } from "../../../../../lib/web/middleware.ts";
import { apiRecording, recordingActor, recordingDeps } from "../../../../../lib/web/recordings.ts";
import type { Env } from "../../../../../lib/web/types.ts";

export const apiMeetingRecordingRoutes = new Hono<Env>();

apiMeetingRecordingRoutes.post("/api/v1/meetings/:meetingId/recording", requireUser(), async (c) => {
  const rec = await startRecording(recordingDeps(c), await meetingFromPath(c), recordingActor(c));
  return c.json(apiRecording(rec), 201, { Location: `/api/v1/recordings/${rec.id}` });
});

apiMeetingRecordingRoutes.delete("/api/v1/meetings/:meetingId/recording", requireUser(), async (c) => {
  return c.json(apiRecording(await stopRecording(recordingDeps(c), await meetingFromPath(c), recordingActor(c))));
});
