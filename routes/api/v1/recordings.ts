// /api/v1/recordings… (list, read, rename, delete, the file). The decisions are lib/recordings'; a
// recording is visible to its meeting's host and co-hosts, and everyone else gets 404 (docs/api.md,
// "Recordings"). Starting and stopping: routes/api/v1/meetings/[meetingId]/recording.ts.

import { Hono } from "hono";
import { z } from "zod";
import { cleanLine } from "../../../lib/common/text.ts";
import { ValidationError } from "../../../lib/common/errors.ts";
import { InvalidCursor } from "../../../lib/accounts/users.ts";
import { deleteRecording, renameRecording } from "../../../lib/recordings/service.ts";
import { listOwnerRecordings } from "../../../lib/recordings/store.ts";
import { requireUser } from "../../../lib/web/middleware.ts";
import { apiRecording, managedRecording, recordingDeps, streamRecordingFile } from "../../../lib/web/recordings.ts";
import type { Env } from "../../../lib/web/types.ts";
import { parseJson } from "../../../lib/web/validate.ts";

export const apiRecordingRoutes = new Hono<Env>();

apiRecordingRoutes.get("/api/v1/recordings", requireUser(), async (c) => {
  const limitText = c.req.query("limit");
  const limit = limitText === undefined ? 25 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new ValidationError({ limit: "Use a whole number from 1 to 100" });
  }
  const page = await listOwnerRecordings(c.get("deps").kv, c.get("user")!.id, {
    cursor: c.req.query("cursor"),
    limit,
  }).catch((err) => {
    throw err instanceof InvalidCursor
      ? new ValidationError({ cursor: "Use the nextCursor of the previous page" })
      : err;
  });
  return c.json({ recordings: page.recordings.map(apiRecording), nextCursor: page.nextCursor });
});

apiRecordingRoutes.get("/api/v1/recordings/:recordingId", requireUser(), async (c) => {
  return c.json(apiRecording(await managedRecording(c)));
});

const renameSchema = z.object({
  title: z.string({ error: "Use a string" }).overwrite(cleanLine).trim().min(1, "Give the recording a title")
    .max(200, "Use at most 200 characters"),
}).strict();

apiRecordingRoutes.patch("/api/v1/recordings/:recordingId", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  const { title } = await parseJson(c, renameSchema);
  const renamed = await renameRecording(recordingDeps(c), rec.id, title);
  return c.json(apiRecording(renamed ?? rec));
});

apiRecordingRoutes.delete("/api/v1/recordings/:recordingId", requireUser(), async (c) => {
  const rec = await managedRecording(c);
  await deleteRecording(recordingDeps(c), rec.id);
  return c.body(null, 204);
});

apiRecordingRoutes.get("/api/v1/recordings/:recordingId/file", requireUser(), async (c) => {
  return await streamRecordingFile(c, await managedRecording(c));
});
