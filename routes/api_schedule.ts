// REST API for scheduled meetings: create (called from POST /api/v1/meetings when the body has
// startsAt), change or cancel the series or one occurrence, and the caller's calendar feed URL.

import { Hono } from "hono";
import type { Context } from "hono";
import { getMeetingByNumber, parseMeetingId, roleOf } from "../lib/meetings/store.ts";
import type { Meeting } from "../lib/meetings/store.ts";
import { BadRequest, Forbidden, NotFound, ValidationError } from "../lib/common/errors.ts";
import { requireUser } from "../lib/web/middleware.ts";
import type { Env } from "../lib/web/types.ts";
import { fieldErrors } from "../lib/web/validate.ts";
import { ensureFeed, feedUrl } from "../lib/scheduling/feed.ts";
import { meetingJoinUrl } from "../lib/scheduling/ics.ts";
import { UnverifiedOrganizer } from "../lib/scheduling/invitations.ts";
import { occurrencesOf } from "../lib/scheduling/occurrences.ts";
import { getSchedule } from "../lib/scheduling/schedule.ts";
import type { Schedule } from "../lib/scheduling/schedule.ts";
import {
  cancelOccurrence,
  cancelSeries,
  changeOccurrence,
  changeSeries,
  scheduleMeeting,
} from "../lib/scheduling/service.ts";
import type { ServiceDeps } from "../lib/scheduling/service.ts";
import { apiCreateSchema, apiPatchSchema, occurrencePatchSchema } from "../lib/scheduling/validation.ts";

export const apiScheduleRoutes = new Hono<Env>();

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

function serviceDeps(c: Context<Env>): ServiceDeps {
  const { kv, config, mailer } = c.get("deps");
  return { kv, config, mailer };
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
  const id = parseMeetingId(c.req.param("meetingId") ?? "");
  const meeting = id ? await getMeetingByNumber(c.get("deps").kv, id) : null;
  if (!meeting) throw new NotFound("There is no meeting with that ID");
  const role = roleOf(meeting, c.get("user")!.id);
  if (role !== "host" && role !== "cohost") throw new Forbidden("Only the meeting's hosts and co-hosts can do that");
  const schedule = await getSchedule(c.get("deps").kv, meeting.meetingId);
  if (!schedule) throw new NotFound("This meeting has no schedule (it is an instant meeting)");
  return { meeting, schedule };
}

apiScheduleRoutes.patch("/api/v1/meetings/:meetingId", requireUser(), async (c) => {
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

apiScheduleRoutes.delete("/api/v1/meetings/:meetingId", requireUser(), async (c) => {
  const { meeting } = await hostedSchedule(c);
  await asOrganizer(() => cancelSeries(serviceDeps(c), meeting.meetingId));
  return c.body(null, 204);
});

apiScheduleRoutes.patch("/api/v1/meetings/:meetingId/occurrences/:start", requireUser(), async (c) => {
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

apiScheduleRoutes.delete("/api/v1/meetings/:meetingId/occurrences/:start", requireUser(), async (c) => {
  const { meeting } = await hostedSchedule(c);
  await asOrganizer(() => cancelOccurrence(serviceDeps(c), meeting.meetingId, c.req.param("start")));
  return c.body(null, 204);
});

apiScheduleRoutes.get("/api/v1/calendar", requireUser(), async (c) => {
  const { kv, config } = c.get("deps");
  const feed = await ensureFeed(kv, c.get("user")!.id);
  return c.json({ feedUrl: feedUrl(config.publicUrl, feed.token) });
});
