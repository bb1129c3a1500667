// /meetings/:meetingId/…: a meeting's own resources for its hosts (its page with its records and
// recordings, chat transcript, attendance CSV, the series' schedule page with its occurrences) and
// the .ics download (hosts and invitees).

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
import { sipHostOf, UnverifiedOrganizer } from "../../lib/scheduling/invitations.ts";
import { occurrencesOf } from "../../lib/scheduling/occurrences.ts";
import { formatStart, summarizeRecurrence, summaryCatalog } from "../../lib/scheduling/summary.ts";
import { getSchedule } from "../../lib/scheduling/schedule.ts";
import type { Schedule } from "../../lib/scheduling/schedule.ts";
import { cancelOccurrence, cancelSeries, changeOccurrence, changeSeries } from "../../lib/scheduling/service.ts";
import { formatLocal, parseLocal, toLocal } from "../../lib/scheduling/tz.ts";
import { durationRule, makeScheduleFormSchema } from "../../lib/scheduling/validation.ts";
import { Form, Notice } from "../../components/Form.tsx";
import { deliveryQuery, serviceDeps } from "../../lib/web/scheduling.ts";
import { minutesText, ScheduleFields } from "../../components/ScheduleFields.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { say } from "../../lib/i18n/message.ts";
import { translator } from "../../lib/i18n/translate.ts";
import { intlLocale } from "../../lib/i18n/intl.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";
import { findMeetingFromPath, hostedMeetingFromPath } from "../../lib/web/meeting_access.ts";
import { isHostRole } from "../../lib/meetings/roles.ts";
import { listChat, transcript } from "../../lib/meetings/chat.ts";
import { attendanceCsv, listAttendance } from "../../lib/meetings/attendance.ts";
import { listMeetingRecordings } from "../../lib/recordings/store.ts";
import type { Recording } from "../../lib/recordings/store.ts";
import { RecordingTable } from "../../components/RecordingTable.tsx";
import { LocalTime } from "../../components/LocalTime.tsx";

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
// A meeting's page for its hosts: what it was, its records, and its recordings

/** Recordings shown on a meeting's page (the newest; the Recordings page lists them all). */
const MEETING_RECORDINGS = 20;

meetingResourceRoutes.get("/meetings/:meetingId", requireUser(), async (c) => {
  const meeting = await hostedMeetingFromPath(c, "meetings.error.hostsOnly");
  const { kv } = c.get("deps");
  const [recordings, schedule] = await Promise.all([
    listMeetingRecordings(kv, meeting.meetingId, { limit: MEETING_RECORDINGS }),
    getSchedule(kv, meeting.meetingId),
  ]);
  return renderPage(
    c,
    <MeetingHistoryPage meeting={meeting} recordings={recordings.recordings} scheduled={!!schedule} />,
    { title: meeting.title },
  );
});

function MeetingHistoryPage({ meeting, recordings, scheduled }: {
  meeting: Meeting;
  recordings: Recording[];
  scheduled: boolean;
}) {
  const { t } = usePage();
  const base = `/meetings/${meeting.meetingId}`;
  return (
    <>
      <section class="card">
        <h1>{meeting.title}</h1>
        <dl class="schedule-summary">
          <dt>{t("join.meetingId")}</dt>
          <dd>
            <span dir="ltr">{formatMeetingId(meeting.meetingId)}</span>
          </dd>
          {meeting.startedAt && (
            <>
              <dt>{t("meetings.history.date")}</dt>
              <dd>
                <LocalTime iso={meeting.startedAt} />
              </dd>
            </>
          )}
        </dl>
        <p>
          <a href={`${base}/attendance.csv`}>{t("meetings.history.attendance")}</a>{" "}
          <a href={`${base}/transcript.txt`}>{t("meetings.history.chat")}</a>{" "}
          {scheduled && <a href={`${base}/schedule`}>{t("recordings.meeting.schedule")}</a>}
        </p>
      </section>
      <section class="card" id="recordings">
        <h2>{t("recordings.list.title")}</h2>
        {recordings.length === 0
          ? <p class="empty">{t("recordings.meeting.none")}</p>
          : <RecordingTable recordings={recordings} />}
        <p>
          <a href="/recordings">{t("recordings.meeting.all")}</a>
        </p>
      </section>
    </>
  );
}

// ---------------------------------------------------------------------------------------------
// A series' schedule page

async function hostedSchedule(c: Context<Env>): Promise<{ meeting: Meeting; schedule: Schedule }> {
  // Message keys: these are pages, and the error page shows them in the page's language.
  const meeting = await hostedMeetingFromPath(c, "meetings.error.hostsOnly");
  const schedule = await getSchedule(c.get("deps").kv, meeting.meetingId);
  if (!schedule) throw new NotFound("meetings.error.noSchedule");
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

const NOTICES: Record<string, MessageKey> = {
  created: "meetings.notice.created",
  updated: "meetings.notice.updated",
  cancelled: "meetings.notice.cancelled",
  "occurrence-cancelled": "meetings.notice.occurrenceCancelled",
  "occurrence-moved": "meetings.notice.occurrenceMoved",
};

interface ScheduleView {
  values?: FormValues;
  errors?: FieldErrors;
  status?: number;
  /** What went wrong with the whole form: a message key, or a rule's English (translated when shown). */
  problem?: string;
}

function schedulePage(c: Context<Env>, meeting: Meeting, schedule: Schedule, opts: ScheduleView = {}) {
  const t = translator(requestLocale(c));
  const notice = {
    key: NOTICES[c.req.query("notice") ?? ""] as MessageKey | undefined,
    sent: Number(c.req.query("sent") ?? "0"),
    failed: Number(c.req.query("failed") ?? "0"),
  };
  return renderPage(
    c,
    <SchedulePage
      meeting={meeting}
      schedule={schedule}
      opts={opts}
      notice={notice}
      publicUrl={c.get("deps").config.publicUrl}
      timeZone={c.get("user")!.timeZone}
    />,
    { title: t("meetings.schedule.pageTitle", { title: meeting.title }), status: opts.status },
  );
}

function SchedulePage({ meeting, schedule, opts, notice, publicUrl, timeZone }: {
  meeting: Meeting;
  schedule: Schedule;
  opts: ScheduleView;
  notice: { key?: MessageKey; sent: number; failed: number };
  publicUrl: string;
  timeZone: string;
}) {
  const { t, locale } = usePage();
  const now = Date.now();
  const upcoming = occurrencesOf(schedule, now, now + 366 * 86_400_000).slice(0, 10);
  const counts = { accepted: 0, declined: 0, "needs-action": 0 };
  for (const i of schedule.invitees) counts[i.response]++;
  const base = `/meetings/${meeting.meetingId}`;
  const fmt = new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone,
    weekday: "short",
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  });
  const recurrence = summarizeRecurrence(schedule, summaryCatalog(locale));
  const joinUrl = meetingJoinUrl(publicUrl, meeting);
  const answer = (r: string) =>
    r === "needs-action"
      ? t("meetings.responses.notAnswered")
      : r === "accepted"
      ? t("meetings.responses.accepted")
      : t("meetings.responses.declined");
  return (
    <>
      <section class="card">
        <h1>{meeting.title}</h1>
        {notice.key && (
          <Notice kind="success">
            {t(notice.key)} {notice.sent > 0 && t("meetings.notice.emailed", { count: notice.sent })}
          </Notice>
        )}
        {notice.failed > 0 && <Notice kind="error">{t("meetings.notice.failed", { count: notice.failed })}</Notice>}
        {schedule.cancelledAt && <Notice kind="info">{t("meetings.schedule.wasCancelled")}</Notice>}
        <dl class="schedule-summary">
          <dt>{t("meetings.schedule.when")}</dt>
          <dd>
            {t("meetings.schedule.whenValue", {
              start: formatStart(schedule.startsAt, schedule.timeZone, locale),
              length: minutesText(t, schedule.durationMinutes),
            })}
          </dd>
          <dt>{t("meetings.form.repeats")}</dt>
          <dd class="schedule-recurrence">{recurrence}</dd>
          <dt>{t("join.meetingId")}</dt>
          <dd>
            <span dir="ltr">{formatMeetingId(meeting.meetingId)}</span>
          </dd>
          <dt>{t("join.passcode")}</dt>
          <dd>{meeting.passcode}</dd>
          <dt>{t("meetings.schedule.joinLink")}</dt>
          <dd>
            <a href={joinUrl}>{joinUrl}</a>
          </dd>
        </dl>
        <p>
          <a href={`${base}/invite.ics`}>{t("meetings.schedule.downloadIcs")}</a>
        </p>
      </section>
      <section class="card">
        <h2>{t("meetings.responses.heading")}</h2>
        <p>
          {t("meetings.responses.counts", {
            accepted: counts.accepted,
            declined: counts.declined,
            open: counts["needs-action"],
          })}
        </p>
        {schedule.invitees.length === 0
          ? <p class="empty">{t("meetings.responses.nobody")}</p>
          : (
            <table class="table schedule-responses">
              <thead>
                <tr>
                  <th>{t("meetings.responses.invitee")}</th>
                  <th>{t("meetings.responses.answer")}</th>
                </tr>
              </thead>
              <tbody>
                {schedule.invitees.map((i) => (
                  <tr key={i.email} class={`response-${i.response}`}>
                    <td>{i.email}</td>
                    <td>{answer(i.response)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
      {!schedule.cancelledAt && (
        <>
          <section class="card">
            <h2>{t("meetings.occurrences.heading")}</h2>
            {upcoming.length === 0
              ? <p class="empty">{t("meetings.occurrences.none")}</p>
              : (
                <ul class="schedule-occurrences">
                  {upcoming.map((o) => (
                    <li key={o.recurrenceId}>
                      <span>
                        <time datetime={o.start.toISOString()}>{fmt.format(o.start)}</time>
                      </span>
                      {schedule.rrule && (
                        <>
                          <Form
                            action={`${base}/occurrences/${encodeURIComponent(o.recurrenceId)}/cancel`}
                            class="inline"
                          >
                            <button type="submit" class="link">{t("meetings.occurrences.cancel")}</button>
                          </Form>
                          <Form action={`${base}/occurrences/${encodeURIComponent(o.recurrenceId)}`} class="inline">
                            <label>
                              {t("meetings.occurrences.newStart")}{" "}
                              <input
                                name="startsAt"
                                value={formatLocal(toLocal(schedule.timeZone, o.start.getTime())).slice(0, 16)}
                              />
                            </label>
                            <label>
                              {t("meetings.occurrences.minutes")}{" "}
                              <input
                                name="durationMinutes"
                                value={String((o.end.getTime() - o.start.getTime()) / 60_000)}
                              />
                            </label>
                            <button type="submit" class="secondary">{t("meetings.occurrences.change")}</button>
                          </Form>
                        </>
                      )}
                    </li>
                  ))}
                </ul>
              )}
          </section>
          <section class="card" id="edit">
            <h2>{schedule.rrule ? t("meetings.schedule.changeSeries") : t("meetings.schedule.changeMeeting")}</h2>
            {opts.problem && <Notice kind="error">{say(t, opts.problem)}</Notice>}
            <Form action={`${base}/schedule`}>
              <ScheduleFields
                values={opts.values ?? editValues(meeting, schedule)}
                errors={opts.errors ?? {}}
                editing={schedule.rrule ? recurrence : undefined}
              />
              <button type="submit">{t("meetings.schedule.save")}</button>
            </Form>
          </section>
          <section class="card danger-zone">
            <h2>{t("meetings.card.cancel")}</h2>
            <Form action={`${base}/schedule/cancel`}>
              <button type="submit" class="danger">
                {schedule.rrule ? t("meetings.cancel.series") : t("meetings.cancel.meeting")}
              </button>
            </Form>
          </section>
        </>
      )}
    </>
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
        problem: "meetings.form.nothingSaved",
      });
    }
    if (err instanceof ValidationError) {
      return schedulePage(c, found.meeting, found.schedule, {
        values,
        errors: err.fields,
        status: 422,
        problem: err.fields._form ?? "meetings.form.needsAttention",
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
    return schedulePage(c, meeting, schedule, {
      values,
      errors: fieldErrors(parsed.error),
      status: 422,
      problem: "meetings.form.needsAttention",
    });
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
  return renderPage(c, <CancelConfirmation meeting={meeting} schedule={schedule} />, {
    title: translator(requestLocale(c))("meetings.cancel.pageTitle", { title: meeting.title }),
  });
});

function CancelConfirmation({ meeting, schedule }: { meeting: Meeting; schedule: Schedule }) {
  const { t, locale } = usePage();
  const base = `/meetings/${meeting.meetingId}`;
  const invited = schedule.invitees.length;
  return (
    <section class="card danger-zone">
      <h1>{t("meetings.cancel.heading", { title: meeting.title })}</h1>
      {schedule.cancelledAt ? <p>{t("meetings.cancel.already")}</p> : (
        <>
          <p>
            {formatStart(schedule.startsAt, schedule.timeZone, locale)} ·{" "}
            {summarizeRecurrence(schedule, summaryCatalog(locale))}
          </p>
          <p>
            {schedule.rrule
              ? t("meetings.cancel.explainSeries", { count: invited })
              : t("meetings.cancel.explainMeeting", { count: invited })}
          </p>
          <Form action={`${base}/schedule/cancel`} class="inline">
            <button type="submit" class="danger">
              {schedule.rrule ? t("meetings.cancel.series") : t("meetings.cancel.meeting")}
            </button>
          </Form>{" "}
          <a class="button secondary" href="/dashboard">{t("meetings.cancel.keep")}</a>
        </>
      )}
    </section>
  );
}

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
  if (!start) errors.startsAt = "meetings.error.newStart";
  const duration = durationRule.safeParse(values.durationMinutes ?? "");
  if (!duration.success) errors.durationMinutes = duration.error.issues[0].message;
  if (Object.keys(errors).length) {
    const t = translator(requestLocale(c));
    const problem = Object.values(errors).map((e) => say(t, e)).join(" ");
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
  if (!meeting || !schedule) throw new NotFound("meetings.error.noScheduled");
  const invited = user.emailVerified && schedule.invitees.some((i) => i.email === user.email);
  // Not found rather than forbidden: the page never tells who may see which meeting.
  if (!isHostRole(roleOf(meeting, user.id)) && !invited) {
    throw new NotFound("meetings.error.noScheduled");
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
