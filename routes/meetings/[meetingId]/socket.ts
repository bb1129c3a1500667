// The meeting socket (`/meetings/:meetingId/ws`) and media access (`/meetings/:meetingId/media`)
// for admitted people (the socket also serves people waiting in the lobby, with limited capability;
// media never does). Both answer refusals with problem details, as the in-meeting island reads them.

import { Hono } from "hono";
import type { Context } from "hono";
import { upgradeWebSocket } from "hono/deno";
import { z } from "zod";
import type { Meeting } from "../../../lib/meetings/store.ts";
import { readCookie } from "../../../lib/web/cookies.ts";
import { DomainError, Forbidden, Unavailable } from "../../../lib/common/errors.ts";
import { httpAnswer, HttpError, problemResponse } from "../../../lib/web/errors.ts";
import type { Env } from "../../../lib/web/types.ts";
import { parseJson } from "../../../lib/web/validate.ts";
import { activeAdmission, admissionCookie, currentAdmission } from "../../../lib/meetings/join.ts";
import type { Admission } from "../../../lib/meetings/join.ts";
import { hubFor } from "../../../lib/meetings/hub.ts";
import type { MeetingSession } from "../../../lib/meetings/hub.ts";
import { kvNeedsPolling } from "../../../lib/meetings/feed.ts";
import { getParticipant } from "../../../lib/meetings/participants.ts";
import { hashToken } from "../../../lib/common/ids.ts";
import { meetingFromPath } from "../../../lib/web/meeting_access.ts";
import { logger } from "../../../lib/common/log.ts";

const log = logger("meeting-socket");

export const meetingSocketRoutes = new Hono<Env>();

/** How often a process sharing a KV file looks for other processes' meeting messages. */
const WATCH_POLL_MS = 200;

/** Problem details for these non-/api paths (the app's handler would render an HTML page). */
meetingSocketRoutes.onError((err, c) => {
  const answer = httpAnswer(err);
  if (!answer.expected) {
    log.error("unhandled error", { path: new URL(c.req.url).pathname, error: String(err?.stack ?? err) });
  }
  return problemResponse(answer);
});

/**
 * The meeting and the caller's admission (with its token hash), or a 403/404. Only admitted
 * admissions pass, unless `lobby` lets waiting ones through (the socket, which then serves the lobby).
 */
async function requireAdmission(
  c: Context<Env>,
  lobby = false,
): Promise<{ meeting: Meeting; admission: Admission; tokenHash: string }> {
  const meeting = await meetingFromPath(c);
  const token = readCookie(c, admissionCookie(meeting.meetingId));
  const current = lobby ? await currentAdmission(c.get("deps").kv, meeting, token) : null;
  const admission = current?.state === "waiting" ? current : await activeAdmission(c.get("deps").kv, meeting, token);
  if (!admission) {
    throw new Forbidden(
      meeting.status === "ended" ? "This meeting has ended" : "You have not been admitted to this meeting",
    );
  }
  return { meeting, admission, tokenHash: await hashToken(token!) };
}

meetingSocketRoutes.get("/meetings/:meetingId/ws", async (c) => {
  // Browsers send cookies with cross-site WebSocket handshakes too; only our own pages may connect.
  const origin = c.req.header("origin");
  const { config } = c.get("deps");
  if (origin && origin !== new URL(config.publicUrl).origin && origin !== new URL(c.req.url).origin) {
    throw new Forbidden("Cross-site WebSocket refused");
  }
  const { meeting, admission, tokenHash } = await requireAdmission(c, true);
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new HttpError(426, "This address only speaks WebSocket", { Upgrade: "websocket" });
  }
  const { kv, gateway } = c.get("deps");
  const hub = hubFor(kv, {
    pollMs: kvNeedsPolling(config.kvPath) ? WATCH_POLL_MS : undefined,
    gateway,
    chatPerPerson: config.chatPerPerson ?? undefined,
    chatPerMeeting: config.chatPerMeeting ?? undefined,
    recordingRetentionDays: config.recordingRetentionDays,
  });
  let session: MeetingSession | null = null;
  return await upgradeWebSocket(c, {
    onOpen(_evt, ws) {
      session = hub.open(meeting, admission, tokenHash, {
        send: (text) => ws.send(text),
        close: (code, reason) => ws.close(code, reason),
      });
    },
    onMessage(evt) {
      session?.receive(evt.data);
    },
    onClose() {
      session?.close();
    },
    onError() {
      session?.close();
    },
  });
});

const mediaSchema = z.object({ participantId: z.string().min(1, "Send the participantId from welcome").max(64) });

meetingSocketRoutes.post("/meetings/:meetingId/media", async (c) => {
  const { meeting, admission } = await requireAdmission(c);
  const { gateway, kv } = c.get("deps");
  if (!gateway) throw new Unavailable("Audio and video are not available on this server");
  const { participantId } = await parseJson(c, mediaSchema);
  const participant = await getParticipant(kv, meeting.meetingId, participantId);
  if (!participant || participant.admissionId !== admission.id || participant.leftAt !== null) {
    throw new Forbidden("That participant is not yours, or has left the meeting");
  }
  try {
    await gateway.ensureRoom(meeting.meetingId, { title: meeting.title });
    return c.json(await gateway.admitParticipant(meeting.meetingId, participantId));
  } catch (err) {
    if (err instanceof DomainError || err instanceof HttpError) throw err;
    log.error("gateway refused media access", { meetingId: meeting.meetingId, error: String(err) });
    throw new Unavailable("Audio and video are not available right now; try again in a moment");
  }
});
