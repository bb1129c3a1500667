// /meetings: the "Meetings" page (meetings the signed-in person hosted or attended, with date,
// duration and attendance, paged by cursor), starting an instant meeting (POST), and the "Schedule a
// meeting" form at /meetings/new.

import { Hono } from "hono";
import type { Context } from "hono";
import { formatMeetingId } from "../../lib/meetings/store.ts";
import type { User } from "../../lib/accounts/users.ts";
import type { FieldErrors } from "../../lib/common/errors.ts";
import { ValidationError } from "../../lib/common/errors.ts";
import { requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { fieldErrors, readForm } from "../../lib/web/validate.ts";
import type { FormValues } from "../../lib/web/validate.ts";
import { UnverifiedOrganizer } from "../../lib/scheduling/invitations.ts";
import { scheduleMeeting } from "../../lib/scheduling/service.ts";
import { formatLocal } from "../../lib/scheduling/tz.ts";
import { defaultStart, scheduleFormSchema } from "../../lib/scheduling/validation.ts";
import { Form, Notice } from "../../components/Form.tsx";
import { deliveryQuery, serviceDeps } from "../../lib/web/scheduling.ts";
import { ScheduleFields } from "../../components/ScheduleFields.tsx";
import { createMeeting } from "../../lib/meetings/store.ts";
import { formatDuration, meetingHistory } from "../../lib/meetings/history.ts";
import { InvalidCursor } from "../../lib/accounts/users.ts";
import { Pager } from "../../components/Pager.tsx";
import { TableHead } from "../../components/TableHead.tsx";

export const meetingsRoutes = new Hono<Env>();

meetingsRoutes.get("/meetings", requireUser(), async (c) => {
  const cursor = c.req.query("cursor");
  let page;
  try {
    page = await meetingHistory(c.get("deps").kv, c.get("user")!.id, { cursor: cursor || undefined });
  } catch (err) {
    if (err instanceof InvalidCursor) throw new ValidationError({ cursor: err.message }, "This page link is not valid");
    throw err;
  }
  const { items, next, prev } = page;
  const link = (cur: string) => `/meetings?${new URLSearchParams({ cursor: cur })}`;
  return renderPage(
    c,
    <section class="card">
      <h1>Meetings</h1>
      {items.length === 0
        ? <p class="empty">{cursor ? "No more meetings." : "No meetings yet."}</p>
        : (
          <table class="history stack-narrow">
            <TableHead columns={["Meeting", "Date", "Duration", "People", "Records"]} />
            <tbody>
              {items.map((it) => (
                <tr key={it.meeting.id} class="history-row" data-meeting-id={it.meeting.meetingId}>
                  <td data-label="Meeting">
                    {it.meeting.title}
                    <span class="history-id">{formatMeetingId(it.meeting.meetingId)}</span>
                    {it.hosted && <span class="history-role">host</span>}
                  </td>
                  <td data-label="Date">
                    {it.startedAt
                      ? <time datetime={it.startedAt}>{it.startedAt.slice(0, 16).replace("T", " ")} UTC</time>
                      : "Not started"}
                  </td>
                  <td data-label="Duration">
                    {it.durationSeconds !== null
                      ? formatDuration(it.durationSeconds)
                      : it.startedAt && it.meeting.status === "open"
                      ? "In progress"
                      : "—"}
                  </td>
                  <td class="history-count" data-label="People">
                    {it.participantCount}
                    {it.participantCountCapped ? "+" : ""}
                  </td>
                  <td data-label="Records">
                    {it.hosted && it.startedAt
                      ? (
                        <>
                          <a href={`/meetings/${it.meeting.meetingId}/attendance.csv`}>Attendance</a>{" "}
                          <a href={`/meetings/${it.meeting.meetingId}/transcript.txt`}>Chat</a>
                        </>
                      )
                      : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      <Pager prev={prev} next={next} href={link} firstHref="/meetings" order="time" />
    </section>,
    { title: "Meetings" },
  );
});

meetingsRoutes.post("/meetings", requireUser(), async (c) => {
  const meeting = await createMeeting(c.get("deps").kv, { hostId: c.get("user")!.id });
  return c.redirect(`/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`, 303);
});

function defaultValues(user: User): FormValues {
  // The next full half hour in the person's zone, 30 minutes, once; a repeat chosen never ends.
  const local = formatLocal(defaultStart(user.timeZone));
  return {
    date: local.slice(0, 10),
    time: local.slice(11, 16),
    timeZone: user.timeZone,
    duration: "30",
    repeat: "none",
    ends: "never",
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

meetingsRoutes.get("/meetings/new", requireUser(), (c) => newMeetingPage(c, defaultValues(c.get("user")!), {}));

meetingsRoutes.post("/meetings/new", requireUser(), async (c) => {
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
