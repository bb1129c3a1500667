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
import { meetingHistory } from "../../lib/meetings/history.ts";
import type { HistoryItem } from "../../lib/meetings/history.ts";
import { InvalidCursor } from "../../lib/accounts/users.ts";
import { Pager } from "../../components/Pager.tsx";
import { TableHead } from "../../components/TableHead.tsx";
import { durationText } from "../../components/ScheduleFields.tsx";
import { usePage } from "../../lib/web/page_context.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { translator } from "../../lib/i18n/translate.ts";
import { intlLocale } from "../../lib/i18n/intl.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";

export const meetingsRoutes = new Hono<Env>();

meetingsRoutes.get("/meetings", requireUser(), async (c) => {
  const cursor = c.req.query("cursor");
  let page;
  try {
    page = await meetingHistory(c.get("deps").kv, c.get("user")!.id, { cursor: cursor || undefined });
  } catch (err) {
    if (err instanceof InvalidCursor) {
      throw new ValidationError({ cursor: "accounts.error.staleCursor" }, "meetings.error.badPageLink");
    }
    throw err;
  }
  const { items, next, prev } = page;
  const link = (cur: string) => `/meetings?${new URLSearchParams({ cursor: cur })}`;
  return renderPage(
    c,
    <section class="card">
      <History items={items} more={!!cursor} timeZone={c.get("user")!.timeZone} />
      <Pager prev={prev} next={next} href={link} firstHref="/meetings" order="time" />
    </section>,
    { title: translator(requestLocale(c))("meetings.history.title") },
  );
});

/** The history table; each cell's data-label names its column where narrow screens stack the rows. */
function History({ items, more, timeZone }: { items: HistoryItem[]; more: boolean; timeZone: string }) {
  const { t, locale } = usePage();
  const when = new Intl.DateTimeFormat(intlLocale(locale), { timeZone, dateStyle: "medium", timeStyle: "short" });
  const col = {
    meeting: t("meetings.history.meeting"),
    date: t("meetings.history.date"),
    duration: t("meetings.history.duration"),
    people: t("meetings.history.people"),
    records: t("meetings.history.records"),
  };
  return (
    <>
      <h1>{t("meetings.history.title")}</h1>
      {items.length === 0
        ? <p class="empty">{more ? t("meetings.history.noMore") : t("meetings.history.none")}</p>
        : (
          <table class="history stack-narrow">
            <TableHead columns={[col.meeting, col.date, col.duration, col.people, col.records]} />
            <tbody>
              {items.map((it) => (
                <tr key={it.meeting.id} class="history-row" data-meeting-id={it.meeting.meetingId}>
                  <td data-label={col.meeting}>
                    {it.hosted
                      ? <a href={`/meetings/${it.meeting.meetingId}`}>{it.meeting.title}</a>
                      : it.meeting.title}
                    <span class="history-id" dir="ltr">{formatMeetingId(it.meeting.meetingId)}</span>
                    {it.hosted && <span class="history-role">{t("meetings.history.host")}</span>}
                  </td>
                  <td data-label={col.date}>
                    {it.startedAt
                      ? <time datetime={it.startedAt}>{when.format(new Date(it.startedAt))}</time>
                      : t("meetings.state.notStarted")}
                  </td>
                  <td data-label={col.duration}>
                    {it.durationSeconds !== null
                      ? durationText(t, it.durationSeconds)
                      : it.startedAt && it.meeting.status === "open"
                      ? t("meetings.history.inProgress")
                      : "—"}
                  </td>
                  <td class="history-count" data-label={col.people}>
                    {it.participantCount}
                    {it.participantCountCapped ? "+" : ""}
                  </td>
                  <td data-label={col.records}>
                    {it.hosted && it.startedAt
                      ? (
                        <>
                          <a href={`/meetings/${it.meeting.meetingId}/attendance.csv`}>
                            {t("meetings.history.attendance")}
                          </a>{" "}
                          <a href={`/meetings/${it.meeting.meetingId}/transcript.txt`}>{t("meetings.history.chat")}</a>
                        </>
                      )
                      : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </>
  );
}

meetingsRoutes.post("/meetings", requireUser(), async (c) => {
  // Its title is stored in the host's language (the host can rename it; the API's default stays English).
  const title = translator(requestLocale(c))("meetings.instantTitle");
  const meeting = await createMeeting(c.get("deps").kv, { hostId: c.get("user")!.id, title });
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

function newMeetingPage(c: Context<Env>, values: FormValues, errors: FieldErrors, status = 200, problem?: MessageKey) {
  return renderPage(
    c,
    <NewMeeting values={values} errors={errors} problem={problem} />,
    { title: translator(requestLocale(c))("meetings.dashboard.schedule"), status },
  );
}

function NewMeeting({ values, errors, problem }: { values: FormValues; errors: FieldErrors; problem?: MessageKey }) {
  const { t, user } = usePage();
  return (
    <section class="card">
      <h1>{t("meetings.dashboard.schedule")}</h1>
      {!user?.emailVerified && (
        <Notice kind="info">
          {t("meetings.schedule.confirmToInvite")} <a href="/account/verify">{t("meetings.dashboard.sendAgain")}</a>
        </Notice>
      )}
      {problem && <Notice kind="error">{problem}</Notice>}
      <Form action="/meetings/new">
        <ScheduleFields values={values} errors={errors} />
        <button type="submit">{t("meetings.schedule.submit")}</button>
      </Form>
    </section>
  );
}

meetingsRoutes.get("/meetings/new", requireUser(), (c) => newMeetingPage(c, defaultValues(c.get("user")!), {}));

meetingsRoutes.post("/meetings/new", requireUser(), async (c) => {
  const user = c.get("user")!;
  const values = await readForm(c);
  const parsed = scheduleFormSchema.safeParse(values);
  if (!parsed.success) return newMeetingPage(c, values, fieldErrors(parsed.error), 422, "meetings.form.needsAttention");
  if (parsed.data.invitees.length && !user.emailVerified) {
    return newMeetingPage(c, values, { invitees: new UnverifiedOrganizer().message }, 422, "meetings.form.nothingSent");
  }
  const { meeting, delivery } = await scheduleMeeting(serviceDeps(c), user, parsed.data);
  return c.redirect(`/meetings/${meeting.meetingId}/schedule?${deliveryQuery("created", delivery)}`, 303);
});
