// REST API for meetings: create, read (hosts and co-hosts), end, attendance (hosts and co-hosts).

import { Hono } from "hono";
import { createScheduledMeetingFromApi } from "./api_schedule.ts";
import type { Context } from "hono";
import { z } from "zod";
import { createMeeting, getMeetingByNumber, parseMeetingId, roleOf } from "../lib/meetings/store.ts";
import type { Meeting, MeetingSettings } from "../lib/meetings/store.ts";
import { BadRequest, Forbidden, NotFound, ValidationError } from "../lib/common/errors.ts";
import { requireUser } from "../lib/web/middleware.ts";
import type { Env } from "../lib/web/types.ts";
import { fieldErrors } from "../lib/web/validate.ts";
import { endMeeting } from "../lib/meetings/lifecycle.ts";
import { joinUrl } from "./meetings.tsx";
import { listAttendancePage, peopleCount, seconds } from "../lib/meetings/attendance.ts";
import { InvalidCursor } from "../lib/accounts/users.ts";
import { sipUriOf } from "../lib/telephony/phone.ts";
import { meetingSettingsSchema } from "../lib/meetings/settings.ts";
import type { Config } from "../lib/common/config.ts";

export const apiMeetingRoutes = new Hono<Env>();

/** A meeting as its hosts see it through the API. */
export interface ApiMeeting {
  id: string;
  meetingId: string;
  title: string;
  settings: MeetingSettings;
  status: Meeting["status"];
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  joinUrl: string;
  passcode: string;
  /** `sip:<meetingId>@SIP_DOMAIN`, when the server has dial-in. */
  sipUri?: string;
  /** The phone number of the dial-in IVR (SIP_DID_NUMBER), when configured. */
  dialInNumber?: string;
}

export function apiMeeting(publicUrl: string, m: Meeting, config?: Config): ApiMeeting {
  const sipUri = config ? sipUriOf(config, m.meetingId) : "";
  return {
    id: m.id,
    meetingId: m.meetingId,
    title: m.title,
    settings: m.settings,
    status: m.status,
    createdAt: m.createdAt,
    startedAt: m.startedAt,
    endedAt: m.endedAt,
    joinUrl: joinUrl(publicUrl, m),
    passcode: m.passcode,
    ...(sipUri ? { sipUri } : {}),
    ...(config?.sipDidNumber ? { dialInNumber: config.sipDidNumber } : {}),
  };
}

const createSchema = z.object({
  title: z.string({ error: "Use a string" }).trim().max(200, "Use at most 200 characters").optional(),
  settings: meetingSettingsSchema.optional(),
}).strict();

/** Reads an optional JSON body: an empty body means "all defaults". */
async function optionalJson(c: Context<Env>): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequest("The request body must be JSON");
  }
}

apiMeetingRoutes.post("/api/v1/meetings", requireUser(), async (c) => {
  const body = await optionalJson(c);
  // With a start time it is a scheduled meeting (series, invitees, reminders): scheduling owns that.
  if (body && typeof body === "object" && "startsAt" in body) return await createScheduledMeetingFromApi(c, body);
  const parsed = createSchema.safeParse(body);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const { kv, config } = c.get("deps");
  const meeting = await createMeeting(kv, {
    hostId: c.get("user")!.id,
    title: parsed.data.title,
    settings: parsed.data.settings,
  });
  return c.json(
    {
      id: meeting.id,
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      joinUrl: joinUrl(config.publicUrl, meeting),
    },
    201,
    { Location: `/api/v1/meetings/${meeting.meetingId}` },
  );
});

/** The meeting named in the path when the caller hosts or co-hosts it. */
async function hostedMeeting(c: Context<Env>): Promise<Meeting> {
  const id = parseMeetingId(c.req.param("meetingId") ?? "");
  const meeting = id ? await getMeetingByNumber(c.get("deps").kv, id) : null;
  if (!meeting) throw new NotFound("There is no meeting with that ID");
  const role = roleOf(meeting, c.get("user")!.id);
  if (role !== "host" && role !== "cohost") throw new Forbidden("Only the meeting's hosts and co-hosts can do that");
  return meeting;
}

apiMeetingRoutes.get("/api/v1/meetings/:meetingId", requireUser(), async (c) => {
  const { config } = c.get("deps");
  return c.json(apiMeeting(config.publicUrl, await hostedMeeting(c), config));
});

apiMeetingRoutes.post("/api/v1/meetings/:meetingId/end", requireUser(), async (c) => {
  const { kv, config, gateway } = c.get("deps");
  const ended = await endMeeting(kv, await hostedMeeting(c), gateway);
  return c.json(apiMeeting(config.publicUrl, ended, config));
});

apiMeetingRoutes.get("/api/v1/meetings/:meetingId/attendance", requireUser(), async (c) => {
  const meeting = await hostedMeeting(c);
  const { kv } = c.get("deps");
  // Paged: `?cursor=` from the previous page's nextCursor (null on the last page).
  const page = await listAttendancePage(kv, meeting, { cursor: c.req.query("cursor") }).catch((err) => {
    throw err instanceof InvalidCursor
      ? new ValidationError({ cursor: "Use the nextCursor of the previous page" })
      : err;
  });
  const people = await peopleCount(kv, meeting);
  return c.json({
    meetingId: meeting.meetingId,
    title: meeting.title,
    status: meeting.status,
    startedAt: meeting.startedAt,
    endedAt: meeting.endedAt,
    durationSeconds: seconds(meeting.startedAt, meeting.endedAt),
    participantCount: people.count,
    sessions: page.records.map((r) => ({
      participantId: r.participantId,
      name: r.name,
      role: r.role,
      userId: r.userId,
      joinedAt: r.joinedAt,
      leftAt: r.leftAt,
      durationSeconds: seconds(r.joinedAt, r.leftAt),
    })),
    nextCursor: page.nextCursor,
  });
});
