// /meetings/:meetingId/…: a meeting's own resources for its hosts (chat transcript, attendance CSV,
// the series' schedule page with its occurrences) and the .ics download (hosts and invitees).

import { Hono } from "hono";
import type { Context } from "hono";
import { formatMeetingId, roleOf } from "../../lib/meetings/store.ts";
import type { Meeting } from "../../lib/meetings/store.ts";
import { getUser } from "../../lib/accounts/users.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { NotFound, ValidationError } from "../../lib/common/errors.ts";
import { requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { fieldErrors, readForm } from "../../lib/web/validate.ts";
import type { FormValues } from "../../lib/web/validate.ts";
import { buildFeed, meetingJoinUrl } from "../../lib/scheduling/ics.ts";
import { formatWhen, sipHostOf, UnverifiedOrganizer } from "../../lib/scheduling/invitations.ts";
import { occurrencesOf } from "../../lib/scheduling/occurrences.ts";
import { summarizeRecurrence } from "../../lib/scheduling/summary.ts";
import { getSchedule } from "../../lib/scheduling/schedule.ts";
import type { Schedule } from "../../lib/scheduling/schedule.ts";
import { cancelOccurrence, cancelSeries, changeOccurrence, changeSeries } from "../../lib/scheduling/service.ts";
import { formatLocal, parseLocal, toLocal } from "../../lib/scheduling/tz.ts";
import { durationRule, makeScheduleFormSchema } from "../../lib/scheduling/validation.ts";
import { Form, Notice } from "../../components/Form.tsx";
import { deliveryQuery, serviceDeps } from "../../lib/web/scheduling.ts";
import { ScheduleFields } from "../../components/ScheduleFields.tsx";
import { findMeetingFromPath, hostedMeetingFromPath } from "../../lib/web/meeting_access.ts";
import { isHostRole } from "../../lib/meetings/roles.ts";
import { listChat, transcript } from "../../lib/meetings/chat.ts";
import { attendanceCsv, listAttendance } from "../../lib/meetings/attendance.ts";

export const meetingResourceRoutes = new Hono<Env>();

/** A file download that browsers must not sniff or render. */
function download(body: string, type: string, filename: string): Response {
  return new Response(body, {
    headers: {
      "Content-Type": type,
      "Content-Disposition": `attachment; filename="${filename}"`,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "no-store",
    },
  });
}

meetingResourceRoutes.get("/meetings/:meetingId/transcript.txt", requireUser(), async (c) => {
  const meeting = await hostedMeetingFromPath(c);
  const records = await listChat(c.get("deps").kv, meeting.meetingId);
  const text = transcript(meeting.title, records, c.get("user")!.id);
  return download(text, "text/plain; charset=utf-8", `chat-${meeting.meetingId}.txt`);
});

meetingResourceRoutes.get("/meetings/:meetingId/attendance.csv", requireUser(), async (c) => {
  const meeting = await hostedMeetingFromPath(c);
  const csv = attendanceCsv(await listAttendance(c.get("deps").kv, meeting));
  // The BOM makes spreadsheet programs read names as UTF-8.
  return download("\ufeff" + csv, "text/csv; charset=utf-8", `attendance-${meeting.meetingId}.csv`);
});

// ---------------------------------------------------------------------------------------------
// A series' schedule page

async function hostedSchedule(c: Context<Env>): Promise<{ meeting: Meeting; schedule: Schedule }> {
  const meeting = await hostedMeetingFromPath(c, "Only the meeting's hosts can manage its schedule");
  const schedule = await getSchedule(c.get("deps").kv, meeting.meetingId);
  if (!schedule) throw new NotFound("This meeting has no schedule (it is an instant meeting)");
  return { meeting, schedule };
}

function editValues(meeting: Meeting, s: Schedule): FormValues {
  const v: FormValues = {
    title: meeting.title,
    description: s.description,
    date: s.startsAt.slice(0, 10),
    time: s.startsAt.slice(11, 16),
    timeZone: s.timeZone,
    duration: String(s.durationMinutes),
    repeat: s.rrule ? "keep" : "none",
    ends: "never",
    invitees: s.invitees.map((i) => i.email).join("\n"),
  };
  if (meeting.settings.lobby) v.lobby = "on";
  if (meeting.settings.guestsAllowed) v.guestsAllowed = "on";
  return v;
}

const NOTICES: Record<string, string> = {
  created: "Meeting scheduled.",
  updated: "Changes saved.",
  cancelled: "The meeting is cancelled.",
  "occurrence-cancelled": "That meeting is cancelled; the rest of the series stays.",
  "occurrence-moved": "That meeting is changed; the rest of the series stays.",
};

function schedulePage(
  c: Context<Env>,
  meeting: Meeting,
  schedule: Schedule,
  opts: { values?: FormValues; errors?: FieldErrors; status?: number; problem?: string } = {},
) {
  const { config } = c.get("deps");
  const viewer = c.get("user")!;
  const noticeKey = c.req.query("notice") ?? "";
  const sent = Number(c.req.query("sent") ?? "0");
  const failed = Number(c.req.query("failed") ?? "0");
  const now = Date.now();
  const upcoming = occurrencesOf(schedule, now, now + 366 * 86_400_000).slice(0, 10);
  const counts = { accepted: 0, declined: 0, "needs-action": 0 };
  for (const i of schedule.invitees) counts[i.response]++;
  const base = `/meetings/${meeting.meetingId}`;
  const fmt = (d: Date) =>
    new Intl.DateTimeFormat("en-GB", { timeZone: viewer.timeZone, dateStyle: "medium", timeStyle: "short" })
      .format(d);
  return renderPage(
    c,
    <>
      <section class="card">
        <h1>{meeting.title}</h1>
        {NOTICES[noticeKey] && (
          <Notice kind="success">
            {NOTICES[noticeKey]} {sent > 0 && `Emailed ${sent} ${sent === 1 ? "person" : "people"}.`}
          </Notice>
        )}
        {failed > 0 && <Notice kind="error">{failed} invitation(s) could not be delivered.</Notice>}
        {schedule.cancelledAt && <Notice kind="info">This meeting was cancelled.</Notice>}
        <dl class="schedule-summary">
          <dt>When</dt>
          <dd>{formatWhen(schedule.startsAt, schedule.timeZone)}, {schedule.durationMinutes} minutes</dd>
          <dt>Repeats</dt>
          <dd class="schedule-recurrence">{summarizeRecurrence(schedule)}</dd>
          <dt>Meeting ID</dt>
          <dd>{formatMeetingId(meeting.meetingId)}</dd>
          <dt>Passcode</dt>
          <dd>{meeting.passcode}</dd>
          <dt>Join link</dt>
          <dd>
            <a href={meetingJoinUrl(config.publicUrl, meeting)}>{meetingJoinUrl(config.publicUrl, meeting)}</a>
          </dd>
        </dl>
        <p>
          <a href={`${base}/invite.ics`}>Download .ics</a>
        </p>
      </section>
      <section class="card">
        <h2>Responses</h2>
        <p>
          {counts.accepted} accepted · {counts.declined} declined · {counts["needs-action"]} not answered
        </p>
        {schedule.invitees.length === 0
          ? <p class="empty">Nobody is invited.</p>
          : (
            <table class="table schedule-responses">
              <thead>
                <tr>
                  <th>Invitee</th>
                  <th>Answer</th>
                </tr>
              </thead>
              <tbody>
                {schedule.invitees.map((i) => (
                  <tr key={i.email} class={`response-${i.response}`}>
                    <td>{i.email}</td>
                    <td>
                      {i.response === "needs-action"
                        ? "Not answered"
                        : i.response === "accepted"
                        ? "Accepted"
                        : "Declined"}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
      {!schedule.cancelledAt && (
        <>
          <section class="card">
            <h2>Upcoming meetings</h2>
            {upcoming.length === 0 ? <p class="empty">No upcoming meetings.</p> : (
              <ul class="schedule-occurrences">
                {upcoming.map((o) => (
                  <li key={o.recurrenceId}>
                    <span>{fmt(o.start)}</span>
                    {schedule.rrule && (
                      <>
                        <Form
                          action={`${base}/occurrences/${encodeURIComponent(o.recurrenceId)}/cancel`}
                          class="inline"
                        >
                          <button type="submit" class="link">Cancel this one</button>
                        </Form>
                        <Form action={`${base}/occurrences/${encodeURIComponent(o.recurrenceId)}`} class="inline">
                          <label>
                            New start{" "}
                            <input
                              name="startsAt"
                              value={formatLocal(toLocal(schedule.timeZone, o.start.getTime())).slice(0, 16)}
                            />
                          </label>
                          <label>
                            Minutes{" "}
                            <input
                              name="durationMinutes"
                              value={String((o.end.getTime() - o.start.getTime()) / 60_000)}
                            />
                          </label>
                          <button type="submit" class="secondary">Change this one</button>
                        </Form>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section class="card" id="edit">
            <h2>Change the {schedule.rrule ? "whole series" : "meeting"}</h2>
            {opts.problem && <Notice kind="error">{opts.problem}</Notice>}
            <Form action={`${base}/schedule`}>
              <ScheduleFields
                values={opts.values ?? editValues(meeting, schedule)}
                errors={opts.errors ?? {}}
                editing={schedule.rrule ? summarizeRecurrence(schedule) : undefined}
              />
              <button type="submit">Save and notify invitees</button>
            </Form>
          </section>
          <section class="card danger-zone">
            <h2>Cancel</h2>
            <Form action={`${base}/schedule/cancel`}>
              <button type="submit" class="danger">Cancel the {schedule.rrule ? "whole series" : "meeting"}</button>
            </Form>
          </section>
        </>
      )}
    </>,
    { title: `Schedule — ${meeting.title}`, status: opts.status },
  );
}

meetingResourceRoutes.get("/meetings/:meetingId/schedule", requireUser(), async (c) => {
  const { meeting, schedule } = await hostedSchedule(c);
  return schedulePage(c, meeting, schedule);
});

/** Runs a change, re-rendering the page with field messages (422) instead of saving bad input. */
async function withFormErrors(
  c: Context<Env>,
  found: { meeting: Meeting; schedule: Schedule },
  values: FormValues,
  fn: () => Promise<Response>,
): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UnverifiedOrganizer) {
      return schedulePage(c, found.meeting, found.schedule, {
        values,
        errors: { invitees: err.message },
        status: 422,
        problem: "Nothing was saved or sent",
      });
    }
    if (err instanceof ValidationError) {
      return schedulePage(c, found.meeting, found.schedule, {
        values,
        errors: err.fields,
        status: 422,
        problem: err.fields._form ?? "Some fields need attention",
      });
    }
    throw err;
  }
}

meetingResourceRoutes.post("/meetings/:meetingId/schedule", requireUser(), async (c) => {
  const found = await hostedSchedule(c);
  const { meeting, schedule } = found;
  const values = await readForm(c);
  const parsed = makeScheduleFormSchema({ startsAt: schedule.startsAt }).safeParse(values);
  if (!parsed.success) {
    return schedulePage(c, meeting, schedule, { values, errors: fieldErrors(parsed.error), status: 422 });
  }
  const d = parsed.data;
  return await withFormErrors(c, found, values, async () => {
    const res = await changeSeries(serviceDeps(c), meeting.meetingId, {
      title: d.title,
      description: d.description,
      startsAt: d.startsAt,
      timeZone: d.timeZone,
      durationMinutes: d.durationMinutes,
      rrule: d.rrule,
      invitees: d.invitees,
      settings: d.settings,
    });
    return c.redirect(`/meetings/${meeting.meetingId}/schedule?${deliveryQuery("updated", res.delivery)}`, 303);
  });
});

/** Asks before cancelling (the dashboard's Cancel links here): a GET changes nothing. */
meetingResourceRoutes.get("/meetings/:meetingId/schedule/cancel", requireUser(), async (c) => {
  const { meeting, schedule } = await hostedSchedule(c);
  const base = `/meetings/${meeting.meetingId}`;
  const what = schedule.rrule ? "the whole series" : "this meeting";
  return renderPage(
    c,
    <section class="card danger-zone">
      <h1>Cancel {meeting.title}?</h1>
      {schedule.cancelledAt ? <p>This meeting is already cancelled.</p> : (
        <>
          <p>
            {formatWhen(schedule.startsAt, schedule.timeZone)} · {summarizeRecurrence(schedule)}
          </p>
          <p>
            Cancelling {what} removes it from calendars
            {schedule.invitees.length
              ? ` and emails the ${schedule.invitees.length} invited ${
                schedule.invitees.length === 1 ? "person" : "people"
              } a cancellation`
              : ""}. This cannot be undone.
          </p>
          <Form action={`${base}/schedule/cancel`} class="inline">
            <button type="submit" class="danger">Cancel {what}</button>
          </Form>{" "}
          <a class="button secondary" href="/dashboard">Keep it</a>
        </>
      )}
    </section>,
    { title: `Cancel — ${meeting.title}` },
  );
});

meetingResourceRoutes.post("/meetings/:meetingId/schedule/cancel", requireUser(), async (c) => {
  const found = await hostedSchedule(c);
  return await withFormErrors(c, found, editValues(found.meeting, found.schedule), async () => {
    const res = await cancelSeries(serviceDeps(c), found.meeting.meetingId);
    return c.redirect(`/meetings/${found.meeting.meetingId}/schedule?${deliveryQuery("cancelled", res.delivery)}`, 303);
  });
});

meetingResourceRoutes.post("/meetings/:meetingId/occurrences/:start/cancel", requireUser(), async (c) => {
  const found = await hostedSchedule(c);
  return await withFormErrors(c, found, editValues(found.meeting, found.schedule), async () => {
    const res = await cancelOccurrence(serviceDeps(c), found.meeting.meetingId, c.req.param("start"));
    const q = deliveryQuery("occurrence-cancelled", res.delivery);
    return c.redirect(`/meetings/${found.meeting.meetingId}/schedule?${q}`, 303);
  });
});

meetingResourceRoutes.post("/meetings/:meetingId/occurrences/:start", requireUser(), async (c) => {
  const found = await hostedSchedule(c);
  const values = await readForm(c);
  const errors: FieldErrors = {};
  const start = parseLocal(values.startsAt ?? "");
  if (!start) errors.startsAt = "Enter the new start as YYYY-MM-DDTHH:MM";
  const duration = durationRule.safeParse(values.durationMinutes ?? "");
  if (!duration.success) errors.durationMinutes = duration.error.issues[0].message;
  if (Object.keys(errors).length) {
    const problem = Object.values(errors).join(" ");
    return schedulePage(c, found.meeting, found.schedule, { status: 422, problem, errors });
  }
  return await withFormErrors(c, found, editValues(found.meeting, found.schedule), async () => {
    const res = await changeOccurrence(serviceDeps(c), found.meeting.meetingId, c.req.param("start"), {
      startsAt: formatLocal(start!),
      durationMinutes: duration.data,
    });
    const q = deliveryQuery("occurrence-moved", res.delivery);
    return c.redirect(`/meetings/${found.meeting.meetingId}/schedule?${q}`, 303);
  });
});

// ---------------------------------------------------------------------------------------------
// .ics download (hosts, co-hosts and invitees with a confirmed email)

meetingResourceRoutes.get("/meetings/:meetingId/invite.ics", requireUser(), async (c) => {
  const { kv, config } = c.get("deps");
  const user = c.get("user")!;
  const meeting = await findMeetingFromPath(c);
  const schedule = meeting ? await getSchedule(kv, meeting.meetingId) : null;
  if (!meeting || !schedule) throw new NotFound("There is no scheduled meeting with that ID");
  const invited = user.emailVerified && schedule.invitees.some((i) => i.email === user.email);
  // Not found rather than forbidden: the page never tells who may see which meeting.
  if (!isHostRole(roleOf(meeting, user.id)) && !invited) {
    throw new NotFound("There is no scheduled meeting with that ID");
  }
  const host = await getUser(kv, meeting.hostId);
  const body = buildFeed(
    [{ meeting, schedule, organizer: { name: host?.name ?? "", email: host?.email ?? "unknown@invalid" } }],
    { publicUrl: config.publicUrl, sipHost: sipHostOf(config), name: meeting.title },
  );
  return c.body(body, 200, {
    "Content-Type": "text/calendar; charset=utf-8; method=PUBLISH",
    "Content-Disposition": `attachment; filename="meeting-${meeting.meetingId}.ics"`,
    "Cache-Control": "no-store",
  });
});
