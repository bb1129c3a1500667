// /api/v1/meetings…: create (instant, or scheduled when the body has startsAt), read, end and
// attendance (hosts and co-hosts), and changing or cancelling a scheduled series or one occurrence.

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { cleanLine } from "../../../lib/common/text.ts";
import { createMeeting } from "../../../lib/meetings/store.ts";
import type { Meeting, MeetingSettings } from "../../../lib/meetings/store.ts";
import { BadRequest, Forbidden, NotFound, ValidationError } from "../../../lib/common/errors.ts";
import { requireUser } from "../../../lib/web/middleware.ts";
import type { Env } from "../../../lib/web/types.ts";
import { fieldErrors } from "../../../lib/web/validate.ts";
import { endMeeting } from "../../../lib/meetings/lifecycle.ts";
import { listAttendancePage, peopleCount, seconds } from "../../../lib/meetings/attendance.ts";
import { InvalidCursor } from "../../../lib/accounts/users.ts";
import { sipUriOf } from "../../../lib/telephony/phone.ts";
import { meetingSettingsSchema } from "../../../lib/meetings/settings.ts";
import type { Config } from "../../../lib/common/config.ts";
import { meetingJoinUrl } from "../../../lib/scheduling/ics.ts";
import { UnverifiedOrganizer } from "../../../lib/scheduling/invitations.ts";
import { occurrencesOf } from "../../../lib/scheduling/occurrences.ts";
import { getSchedule } from "../../../lib/scheduling/schedule.ts";
import type { Schedule } from "../../../lib/scheduling/schedule.ts";
import {
  cancelOccurrence,
  cancelSeries,
  changeOccurrence,
  changeSeries,
  scheduleMeeting,
} from "../../../lib/scheduling/service.ts";
import { apiCreateSchema, apiPatchSchema, occurrencePatchSchema } from "../../../lib/scheduling/validation.ts";
import { hostedMeetingFromPath } from "../../../lib/web/meeting_access.ts";
import { serviceDeps } from "../../../lib/web/scheduling.ts";

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
    joinUrl: meetingJoinUrl(publicUrl, m),
    passcode: m.passcode,
    ...(sipUri ? { sipUri } : {}),
    ...(config?.sipDidNumber ? { dialInNumber: config.sipDidNumber } : {}),
  };
}

const createSchema = z.object({
  title: z.string({ error: "Use a string" }).overwrite(cleanLine).trim().max(200, "Use at most 200 characters")
    .optional(),
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
      joinUrl: meetingJoinUrl(config.publicUrl, meeting),
    },
    201,
    { Location: `/api/v1/meetings/${meeting.meetingId}` },
  );
});

apiMeetingRoutes.get("/api/v1/meetings/:meetingId", requireUser(), async (c) => {
  const { config } = c.get("deps");
  return c.json(apiMeeting(config.publicUrl, await hostedMeetingFromPath(c), config));
});

apiMeetingRoutes.post("/api/v1/meetings/:meetingId/end", requireUser(), async (c) => {
  const { kv, config, gateway } = c.get("deps");
  const ended = await endMeeting(kv, await hostedMeetingFromPath(c), gateway);
  return c.json(apiMeeting(config.publicUrl, ended, config));
});

apiMeetingRoutes.get("/api/v1/meetings/:meetingId/attendance", requireUser(), async (c) => {
  const meeting = await hostedMeetingFromPath(c);
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

/** A schedule as the API shows it (RSVP tokens never leave the server). */
export function apiSchedule(s: Schedule) {
  const now = Date.now();
  return {
    startsAt: s.startsAt,
    timeZone: s.timeZone,
    durationMinutes: s.durationMinutes,
    recurrence: s.rrule,
    description: s.description,
    uid: s.uid,
    sequence: s.sequence,
    cancelled: s.cancelledAt !== null,
    invitees: s.invitees.map((i) => ({ email: i.email, response: i.response, respondedAt: i.respondedAt })),
    exceptions: s.exceptions,
    nextOccurrences: occurrencesOf(s, now, now + 366 * 86_400_000).slice(0, 5).map((o) => ({
      start: o.start.toISOString(),
      end: o.end.toISOString(),
      recurrenceId: o.recurrenceId,
    })),
  };
}

async function readBody(c: Context<Env>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new BadRequest("The request body must be JSON");
  }
}

/** Runs a scheduling action, turning an unverified organizer into a clear 403. */
async function asOrganizer<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UnverifiedOrganizer) throw new Forbidden(err.message);
    throw err;
  }
}

/**
 * Creates a scheduled meeting from an API request (`POST /api/v1/meetings` with `startsAt`): 422 with
 * field messages for bad input (nothing saved), 403 when an unverified account invites people.
 * Answers 201 with the instant-creation shape plus `schedule` and `invitations` (who was emailed).
 * Pass `body` when the caller has already read it.
 */
export async function createScheduledMeetingFromApi(c: Context<Env>, body?: unknown): Promise<Response> {
  const user = c.get("user");
  if (!user) throw new Forbidden("Sign in to schedule meetings");
  const parsed = apiCreateSchema.safeParse(body === undefined ? await readBody(c) : body);
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const { meeting, schedule, delivery } = await asOrganizer(() => scheduleMeeting(serviceDeps(c), user, parsed.data));
  return c.json(
    {
      id: meeting.id,
      meetingId: meeting.meetingId,
      passcode: meeting.passcode,
      joinUrl: meetingJoinUrl(c.get("deps").config.publicUrl, meeting),
      schedule: apiSchedule(schedule),
      invitations: delivery,
    },
    201,
    { Location: `/api/v1/meetings/${meeting.meetingId}` },
  );
}

/** The scheduled meeting named in the path when the caller hosts or co-hosts it. */
async function hostedSchedule(c: Context<Env>): Promise<{ meeting: Meeting; schedule: Schedule }> {
  const meeting = await hostedMeetingFromPath(c);
  const schedule = await getSchedule(c.get("deps").kv, meeting.meetingId);
  if (!schedule) throw new NotFound("This meeting has no schedule (it is an instant meeting)");
  return { meeting, schedule };
}

apiMeetingRoutes.patch("/api/v1/meetings/:meetingId", requireUser(), async (c) => {
  const { meeting, schedule } = await hostedSchedule(c);
  const parsed = apiPatchSchema(schedule).safeParse(await readBody(c));
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const p = parsed.data;
  const result = await asOrganizer(() =>
    changeSeries(serviceDeps(c), meeting.meetingId, {
      title: p.title,
      description: p.description,
      startsAt: p.startsAt,
      timeZone: p.timeZone,
      durationMinutes: p.durationMinutes,
      rrule: p.rrule,
      invitees: p.invitees,
      settings: p.settings,
    })
  );
  return c.json({
    meetingId: result.meeting.meetingId,
    title: result.meeting.title,
    settings: result.meeting.settings,
    schedule: apiSchedule(result.schedule),
    invitations: result.delivery,
  });
});

apiMeetingRoutes.delete("/api/v1/meetings/:meetingId", requireUser(), async (c) => {
  const { meeting } = await hostedSchedule(c);
  await asOrganizer(() => cancelSeries(serviceDeps(c), meeting.meetingId));
  return c.body(null, 204);
});

apiMeetingRoutes.patch("/api/v1/meetings/:meetingId/occurrences/:start", requireUser(), async (c) => {
  const { meeting } = await hostedSchedule(c);
  const parsed = occurrencePatchSchema.safeParse(await readBody(c));
  if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
  const result = await asOrganizer(() =>
    changeOccurrence(serviceDeps(c), meeting.meetingId, c.req.param("start"), parsed.data)
  );
  return c.json({
    recurrenceId: result.recurrenceId,
    schedule: apiSchedule(result.schedule),
    invitations: result.delivery,
  });
});

apiMeetingRoutes.delete("/api/v1/meetings/:meetingId/occurrences/:start", requireUser(), async (c) => {
  const { meeting } = await hostedSchedule(c);
  await asOrganizer(() => cancelOccurrence(serviceDeps(c), meeting.meetingId, c.req.param("start")));
  return c.body(null, 204);
});
