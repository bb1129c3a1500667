// Scheduling pages: the "Schedule a meeting" form, a series' schedule page (edit, cancel, change or
// cancel one occurrence, invitees' answers), the per-meeting .ics download and RSVP links.

import { Hono } from "hono";
import type { Context } from "hono";
import { formatMeetingId, getMeetingByNumber, parseMeetingId, roleOf } from "../lib/meetings/store.ts";
import type { Meeting } from "../lib/meetings/store.ts";
import { getUser } from "../lib/accounts/users.ts";
import type { User } from "../lib/accounts/users.ts";
import type { FieldErrors } from "../lib/common/errors.ts";
import { Conflict, Forbidden, NotFound, ValidationError } from "../lib/common/errors.ts";
import { requireUser } from "../lib/web/middleware.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { fieldErrors, readForm } from "../lib/web/validate.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { buildFeed, meetingJoinUrl } from "../lib/scheduling/ics.ts";
import { formatWhen, sipHostOf, UnverifiedOrganizer } from "../lib/scheduling/invitations.ts";
import { occurrencesOf } from "../lib/scheduling/occurrences.ts";
import { describeRrule, WEEKDAYS } from "../lib/scheduling/recurrence.ts";
import { findInviteeByToken, getSchedule, meetingIdOfToken, recordResponse } from "../lib/scheduling/schedule.ts";
import type { Schedule } from "../lib/scheduling/schedule.ts";
import {
  cancelOccurrence,
  cancelSeries,
  changeOccurrence,
  changeSeries,
  scheduleMeeting,
} from "../lib/scheduling/service.ts";
import type { Delivery, ServiceDeps } from "../lib/scheduling/service.ts";
import { formatLocal, parseLocal, timeZoneNames, toLocal } from "../lib/scheduling/tz.ts";
import { durationRule, makeScheduleFormSchema, scheduleFormSchema } from "../lib/scheduling/validation.ts";
import { Field, Form, Notice } from "../components/Form.tsx";

export const scheduleRoutes = new Hono<Env>();

function serviceDeps(c: Context<Env>): ServiceDeps {
  const { kv, config, mailer } = c.get("deps");
  return { kv, config, mailer };
}

const DAY_NAMES: Record<string, string> = {
  MO: "Mon",
  TU: "Tue",
  WE: "Wed",
  TH: "Thu",
  FR: "Fri",
  SA: "Sat",
  SU: "Sun",
};

// ---------------------------------------------------------------------------------------------
// The form (new and edit share it)

function Select(
  p: { name: string; label: string; value: string; options: [string, string][]; error?: string },
) {
  const id = `f-${p.name}`;
  return (
    <div class={p.error ? "field has-error" : "field"}>
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-invalid={p.error ? "true" : undefined}>
        {p.options.map(([v, text]) => <option key={v} value={v} selected={v === p.value}>{text}</option>)}
      </select>
      {p.error && <small class="error" id={`${id}-error`}>{p.error}</small>}
    </div>
  );
}

function Checkbox(p: { name: string; label: string; checked: boolean }) {
  return (
    <label class="checkbox">
      <input type="checkbox" name={p.name} checked={p.checked} /> {p.label}
    </label>
  );
}

function ScheduleFields(
  { values, errors, editing }: { values: FormValues; errors: FieldErrors; editing?: string },
) {
  const zones = timeZoneNames();
  const checked = (name: string) => values[name] !== undefined;
  return (
    <>
      <Field name="title" label="Title" value={values.title} error={errors.title} required />
      <div class={errors.description ? "field has-error" : "field"}>
        <label for="f-description">Description (optional)</label>
        <textarea id="f-description" name="description" rows={3}>{values.description ?? ""}</textarea>
        {errors.description && <small class="error">{errors.description}</small>}
      </div>
      <div class="grid2">
        <Field name="date" label="Date (YYYY-MM-DD)" value={values.date} error={errors.date} required />
        <Field name="time" label="Time (HH:MM, 24-hour)" value={values.time} error={errors.time} required />
      </div>
      <div class="grid2">
        <Select
          name="timeZone"
          label="Time zone"
          value={values.timeZone ?? "UTC"}
          error={errors.timeZone}
          options={zones.map((z) => [z, z])}
        />
        <Field
          name="duration"
          label="Length (minutes)"
          value={values.duration}
          error={errors.duration}
          inputmode="numeric"
          required
        />
      </div>
      <fieldset class="schedule-repeat">
        <legend>Repeats</legend>
        <Select
          name="repeat"
          label="How often"
          value={values.repeat ?? "none"}
          error={errors.repeat}
          options={[
            ...(editing ? [["keep", `Keep: ${editing}`] as [string, string]] : []),
            ["none", "Does not repeat"],
            ["daily", "Every day"],
            ["weekdays", "Every weekday (Mon–Fri)"],
            ["weekly", "Weekly on the days below"],
            ["monthly", "Monthly on the same date"],
          ]}
        />
        <div class={errors.days ? "schedule-days has-error" : "schedule-days"}>
          {WEEKDAYS.map((d) => (
            <Checkbox
              key={d}
              name={`day_${d}`}
              label={DAY_NAMES[d]}
              checked={checked(`day_${d}`)}
            />
          ))}
          {errors.days && <small class="error">{errors.days}</small>}
        </div>
        <Select
          name="ends"
          label="Ends"
          value={values.ends ?? "until"}
          error={errors.ends}
          options={[["until", "On a date"], ["count", "After a number of meetings"]]}
        />
        <div class="grid2">
          <Field name="until" label="Last date (YYYY-MM-DD)" value={values.until} error={errors.until} />
          <Field
            name="count"
            label="Number of meetings"
            value={values.count}
            error={errors.count}
            inputmode="numeric"
          />
        </div>
        <small class="hint">A series ends within five years.</small>
      </fieldset>
      <div class={errors.invitees ? "field has-error" : "field"}>
        <label for="f-invitees">Invitees (email addresses, separated by commas or new lines; up to 300)</label>
        <textarea id="f-invitees" name="invitees" rows={4} aria-invalid={errors.invitees ? "true" : undefined}>
          {values.invitees ?? ""}
        </textarea>
        {errors.invitees && <small class="error" id="f-invitees-error">{errors.invitees}</small>}
      </div>
      <fieldset>
        <legend>Settings</legend>
        <Checkbox name="lobby" label="Lobby: people wait until a host admits them" checked={checked("lobby")} />
        <Checkbox name="guestsAllowed" label="Guests without an account may join" checked={checked("guestsAllowed")} />
      </fieldset>
    </>
  );
}

function defaultValues(user: User): FormValues {
  // Next full hour in the person's zone, as a sensible starting point.
  const next = toLocal(user.timeZone, Math.ceil((Date.now() + 60_000) / 3_600_000) * 3_600_000);
  const local = formatLocal(next);
  return {
    date: local.slice(0, 10),
    time: local.slice(11, 16),
    timeZone: user.timeZone,
    duration: "30",
    repeat: "none",
    ends: "until",
    lobby: "on",
    guestsAllowed: "on",
  };
}

function newMeetingPage(c: Context<Env>, values: FormValues, errors: FieldErrors, status = 200, problem?: string) {
  const user = c.get("user")!;
  return renderPage(
    c,
    <section class="card">
      <h1>Schedule a meeting</h1>
      {!user.emailVerified && (
        <Notice kind="info">
          Confirm your email address to send invitations. <a href="/account/verify">Send the link again</a>
        </Notice>
      )}
      {problem && <Notice kind="error">{problem}</Notice>}
      <Form action="/meetings/new">
        <ScheduleFields values={values} errors={errors} />
        <button type="submit">Schedule</button>
      </Form>
    </section>,
    { title: "Schedule a meeting", status },
  );
}

scheduleRoutes.get("/meetings/new", requireUser(), (c) => newMeetingPage(c, defaultValues(c.get("user")!), {}));

scheduleRoutes.post("/meetings/new", requireUser(), async (c) => {
  const user = c.get("user")!;
  const values = await readForm(c);
  const parsed = scheduleFormSchema.safeParse(values);
  if (!parsed.success) return newMeetingPage(c, values, fieldErrors(parsed.error), 422, "Some fields need attention");
  if (parsed.data.invitees.length && !user.emailVerified) {
    return newMeetingPage(c, values, { invitees: new UnverifiedOrganizer().message }, 422, "Nothing was sent");
  }
  const { meeting, delivery } = await scheduleMeeting(serviceDeps(c), user, parsed.data);
  return c.redirect(`/meetings/${meeting.meetingId}/schedule?${deliveryQuery("created", delivery)}`, 303);
});

function deliveryQuery(notice: string, d: Delivery): string {
  const q = new URLSearchParams({ notice, sent: String(d.sent.length) });
  if (d.failed.length) q.set("failed", String(d.failed.length));
  return q.toString();
}

// ---------------------------------------------------------------------------------------------
// A series' schedule page

async function hostedSchedule(c: Context<Env>): Promise<{ meeting: Meeting; schedule: Schedule }> {
  const id = parseMeetingId(c.req.param("meetingId") ?? "");
  const meeting = id ? await getMeetingByNumber(c.get("deps").kv, id) : null;
  if (!meeting) throw new NotFound("There is no meeting with that ID");
  const role = roleOf(meeting, c.get("user")!.id);
  if (role !== "host" && role !== "cohost") throw new Forbidden("Only the meeting's hosts can manage its schedule");
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
    ends: "until",
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
          <dd>{describeRrule(schedule.rrule, schedule.timeZone)}</dd>
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
          <section class="card">
            <h2>Change the {schedule.rrule ? "whole series" : "meeting"}</h2>
            {opts.problem && <Notice kind="error">{opts.problem}</Notice>}
            <Form action={`${base}/schedule`}>
              <ScheduleFields
                values={opts.values ?? editValues(meeting, schedule)}
                errors={opts.errors ?? {}}
                editing={schedule.rrule ? describeRrule(schedule.rrule, schedule.timeZone) : undefined}
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

scheduleRoutes.get("/meetings/:meetingId/schedule", requireUser(), async (c) => {
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

scheduleRoutes.post("/meetings/:meetingId/schedule", requireUser(), async (c) => {
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

scheduleRoutes.post("/meetings/:meetingId/schedule/cancel", requireUser(), async (c) => {
  const found = await hostedSchedule(c);
  return await withFormErrors(c, found, editValues(found.meeting, found.schedule), async () => {
    const res = await cancelSeries(serviceDeps(c), found.meeting.meetingId);
    return c.redirect(`/meetings/${found.meeting.meetingId}/schedule?${deliveryQuery("cancelled", res.delivery)}`, 303);
  });
});

scheduleRoutes.post("/meetings/:meetingId/occurrences/:start/cancel", requireUser(), async (c) => {
  const found = await hostedSchedule(c);
  return await withFormErrors(c, found, editValues(found.meeting, found.schedule), async () => {
    const res = await cancelOccurrence(serviceDeps(c), found.meeting.meetingId, c.req.param("start"));
    const q = deliveryQuery("occurrence-cancelled", res.delivery);
    return c.redirect(`/meetings/${found.meeting.meetingId}/schedule?${q}`, 303);
  });
});

scheduleRoutes.post("/meetings/:meetingId/occurrences/:start", requireUser(), async (c) => {
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

scheduleRoutes.get("/meetings/:meetingId/invite.ics", requireUser(), async (c) => {
  const { kv, config } = c.get("deps");
  const user = c.get("user")!;
  const id = parseMeetingId(c.req.param("meetingId") ?? "");
  const meeting = id ? await getMeetingByNumber(kv, id) : null;
  const schedule = meeting ? await getSchedule(kv, meeting.meetingId) : null;
  if (!meeting || !schedule) throw new NotFound("There is no scheduled meeting with that ID");
  const role = roleOf(meeting, user.id);
  const invited = user.emailVerified && schedule.invitees.some((i) => i.email === user.email);
  if (role !== "host" && role !== "cohost" && !invited) {
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

// ---------------------------------------------------------------------------------------------
// RSVP links (no sign-in: the link itself is the invitee's secret)

async function rsvpTarget(c: Context<Env>) {
  const token = c.req.param("token") ?? "";
  const meetingId = meetingIdOfToken(token);
  const { kv } = c.get("deps");
  const schedule = meetingId ? await getSchedule(kv, meetingId) : null;
  const invitee = schedule ? findInviteeByToken(schedule, token) : null;
  const meeting = schedule ? await getMeetingByNumber(kv, schedule.meetingId) : null;
  if (!schedule || !invitee || !meeting) throw new NotFound("This invitation link is not valid (any more)");
  return { token, schedule, invitee, meeting };
}

function answerOf(v: string | undefined): "accept" | "decline" | null {
  return v === "accept" || v === "decline" ? v : null;
}

scheduleRoutes.get("/rsvp/:token", async (c) => {
  const { token, schedule, invitee, meeting } = await rsvpTarget(c);
  const answer = answerOf(c.req.query("answer"));
  const current = invitee.response === "needs-action" ? "not answered yet" : invitee.response;
  return renderPage(
    c,
    <section class="card narrow">
      <h1>{meeting.title}</h1>
      <p>{formatWhen(schedule.startsAt, schedule.timeZone)} · {describeRrule(schedule.rrule, schedule.timeZone)}</p>
      {schedule.cancelledAt && <Notice kind="info">This meeting was cancelled.</Notice>}
      <p>Invitation for {invitee.email}: {current}.</p>
      {!schedule.cancelledAt && (
        <div class="rsvp-actions">
          {(answer ?? "accept") === "accept" && (
            <Form action={`/rsvp/${encodeURIComponent(token)}`} class="inline">
              <input type="hidden" name="answer" value="accept" />
              <button type="submit">Accept</button>
            </Form>
          )}
          {(answer ?? "decline") === "decline" && (
            <Form action={`/rsvp/${encodeURIComponent(token)}`} class="inline">
              <input type="hidden" name="answer" value="decline" />
              <button type="submit" class="secondary">Decline</button>
            </Form>
          )}
        </div>
      )}
    </section>,
    { title: `Invitation — ${meeting.title}`, headers: { "Referrer-Policy": "no-referrer" } },
  );
});

scheduleRoutes.post("/rsvp/:token", async (c) => {
  const { token, schedule } = await rsvpTarget(c);
  if (schedule.cancelledAt) throw new Conflict("This meeting was cancelled");
  const values = await readForm(c);
  const answer = answerOf(values.answer);
  if (!answer) throw new ValidationError({ answer: "Choose accept or decline" });
  const res = await recordResponse(c.get("deps").kv, token, answer === "accept" ? "accepted" : "declined");
  if (!res) throw new NotFound("This invitation link is not valid (any more)");
  return renderPage(
    c,
    <section class="card narrow">
      <h1>Thank you</h1>
      <Notice kind="success">
        You {answer === "accept" ? "accepted" : "declined"}{" "}
        “{(await getMeetingByNumber(c.get("deps").kv, schedule.meetingId))?.title}”. The organizer can see your answer.
      </Notice>
    </section>,
    { title: "Answer recorded", headers: { "Referrer-Policy": "no-referrer" } },
  );
});
