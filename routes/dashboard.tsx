// The signed-in home: start or schedule a meeting, join one, upcoming scheduled meetings (in the
// viewer's time zone), and the meetings you host.

import { Hono } from "hono";
import { requireUser } from "../lib/web/middleware.ts";
import { renderPage } from "../lib/web/render.tsx";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";
import type { User } from "../lib/accounts/users.ts";
import type { Env } from "../lib/web/types.ts";
import { listHostedMeetings } from "../lib/meetings/store.ts";
import { Form, Notice } from "../components/Form.tsx";
import { JoinForm } from "../components/JoinForm.tsx";
import { MeetingCard } from "../components/MeetingCard.tsx";
import type { MeetingState } from "../components/MeetingCard.tsx";
import type { Meeting } from "../lib/meetings/store.ts";
import { countPresent } from "../lib/meetings/participants.ts";
import { meetingJoinUrl } from "../lib/scheduling/ics.ts";
import { nextOccurrenceOf, occurrencesOf } from "../lib/scheduling/occurrences.ts";
import { listSchedulesFor } from "../lib/scheduling/schedule.ts";
import type { Schedule, ScheduledEntry } from "../lib/scheduling/schedule.ts";
import { usePage } from "../lib/web/page_context.ts";
import type { Locale } from "../lib/i18n/locales.ts";
import { intlLocale } from "../lib/i18n/intl.ts";

/** How far ahead "Upcoming" looks. */
export const UPCOMING_DAYS = 14;
/** The Join link goes live this long before a meeting starts. */
export const JOIN_EARLY_MS = 10 * 60_000;
/** How many of the meetings a person hosts "Your recent meetings" shows (newest first). */
export const RECENT_LIMIT = 10;

interface UpcomingItem {
  meeting: Meeting;
  role: "host" | "invitee";
  start: Date;
  end: Date;
  recurrenceId: string;
}

/**
 * Occurrences (recurrences expanded, cancellations left out, changes applied) of the meetings a
 * person hosts or — with a confirmed email — is invited to, running now or starting within 14 days.
 */
function upcomingFrom(list: ScheduledEntry[], now: number): UpcomingItem[] {
  const out: UpcomingItem[] = [];
  for (const { meeting, schedule, role } of list) {
    if (meeting.status === "ended") continue;
    for (const o of occurrencesOf(schedule, now, now + UPCOMING_DAYS * 86_400_000)) out.push({ meeting, role, ...o });
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime()).slice(0, 50);
}

/**
 * "Tue 9 Dec, 09:00–09:30" ("Di., 9. Dez., 09:00–09:30") in the viewer's zone and the page's
 * language (the end's time only, or its date when it is another day).
 */
function whenText(start: Date, end: Date | null, timeZone: string, locale: Locale): string {
  const lang = intlLocale(locale);
  const day = new Intl.DateTimeFormat(lang, { timeZone, weekday: "short", day: "numeric", month: "short" });
  const time = new Intl.DateTimeFormat(lang, { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const head = `${day.format(start)}, ${time.format(start)}`;
  if (!end) return head;
  return day.format(end) === day.format(start)
    ? `${head}–${time.format(end)}`
    : `${head} – ${day.format(end)}, ${time.format(end)}`;
}

/** Whether Join is offered: the meeting runs, or its occurrence starts within JOIN_EARLY_MS or is under way. */
function joinable(now: number, o: { start: Date; end: Date }): boolean {
  return now >= o.start.getTime() - JOIN_EARLY_MS && now < o.end.getTime();
}

function manageLinks(meetingId: string) {
  return { editHref: `/meetings/${meetingId}/schedule#edit`, cancelHref: `/meetings/${meetingId}/schedule/cancel` };
}

type Presence = Map<string, { count: number; capped: boolean }>;

/** The state of a meeting record: ended, live (people in it), started but empty, never started. */
function recordState(m: Meeting, presence: Presence): MeetingState {
  if (m.status === "ended") return { kind: "ended" };
  const here = presence.get(m.meetingId);
  if (here && here.count > 0) return { kind: "live", present: here.count, capped: here.capped };
  return m.startedAt ? { kind: "open" } : { kind: "not-started" };
}

/** What both lists show their meetings with: the viewer's zone, the site's address, now, who is in. */
interface ListContext {
  timeZone: string;
  publicUrl: string;
  now: number;
  presence: Presence;
}

function Upcoming({ items, timeZone, publicUrl, now, presence }: { items: UpcomingItem[] } & ListContext) {
  const { t, locale } = usePage();
  return (
    <section class="card" aria-labelledby="upcoming-heading">
      <div class="upcoming-header">
        <h2 id="upcoming-heading">{t("meetings.dashboard.upcoming")}</h2>
        <a class="button" href="/meetings/new">{t("meetings.dashboard.schedule")}</a>
      </div>
      <p class="muted">{t("meetings.dashboard.timesIn", { zone: timeZone })}</p>
      {items.length === 0
        ? <p class="empty">{t("meetings.dashboard.nothingUpcoming", { days: UPCOMING_DAYS })}</p>
        : (
          <ul class="meeting-rows upcoming-list">
            {items.map((o) => {
              const canJoin = joinable(now, o);
              const live = recordState(o.meeting, presence);
              const state: MeetingState = live.kind === "live" && canJoin
                ? live
                : canJoin
                ? { kind: "starting-soon" }
                : { kind: "scheduled" };
              const url = meetingJoinUrl(publicUrl, o.meeting);
              return (
                <MeetingCard
                  key={`${o.meeting.meetingId} ${o.recurrenceId}`}
                  meetingId={o.meeting.meetingId}
                  title={o.meeting.title}
                  when={{ text: whenText(o.start, o.end, timeZone, locale), iso: o.start.toISOString() }}
                  state={state}
                  role={o.role}
                  joinUrl={canJoin ? url : undefined}
                  shareUrl={url}
                  manage={o.role === "host" ? manageLinks(o.meeting.meetingId) : undefined}
                />
              );
            })}
          </ul>
        )}
    </section>
  );
}

function Recent(
  { meetings, scheduled, timeZone, publicUrl, now, presence }:
    & { meetings: Meeting[]; scheduled: Map<string, Schedule> }
    & ListContext,
) {
  const { t, locale } = usePage();
  return (
    <section class="card" aria-labelledby="recent-heading">
      <h2 id="recent-heading">{t("meetings.dashboard.recent")}</h2>
      {meetings.length === 0
        ? <p class="empty">{t("meetings.dashboard.noRecent")}</p>
        : (
          <ul class="meeting-rows recent-list">
            {meetings.map((m) => {
              const schedule = scheduled.get(m.meetingId);
              const url = meetingJoinUrl(publicUrl, m);
              let state = recordState(m, presence);
              let when: { text: string; iso: string } | null;
              let canJoin = m.status === "open" && !schedule?.cancelledAt;
              if (schedule?.cancelledAt && m.status !== "ended") state = { kind: "cancelled" };
              if (schedule && !schedule.cancelledAt && state.kind !== "ended" && state.kind !== "live") {
                // A scheduled meeting: its next (or current) occurrence, Join only near it.
                const next = occurrencesOf(schedule, now, now + JOIN_EARLY_MS)[0] ?? nextOccurrenceOf(schedule, now);
                state = next && joinable(now, next) ? { kind: "starting-soon" } : { kind: "scheduled" };
                canJoin = !!next && joinable(now, next);
                when = next
                  ? { text: whenText(next.start, next.end, timeZone, locale), iso: next.start.toISOString() }
                  : null;
              } else {
                const at = m.startedAt ?? m.createdAt;
                const end = m.endedAt ? new Date(m.endedAt) : null;
                when = { text: whenText(new Date(at), m.startedAt ? end : null, timeZone, locale), iso: at };
              }
              const hostOfSchedule = schedule && !schedule.cancelledAt && m.status !== "ended";
              return (
                <MeetingCard
                  key={m.id}
                  meetingId={m.meetingId}
                  title={m.title}
                  when={when}
                  state={state}
                  joinUrl={canJoin ? url : undefined}
                  shareUrl={canJoin || state.kind === "scheduled" ? url : undefined}
                  manage={hostOfSchedule ? manageLinks(m.meetingId) : undefined}
                />
              );
            })}
          </ul>
        )}
    </section>
  );
}

/** The greeting, the account's reminders and the start and join forms. */
function Greeting({ user }: { user: User }) {
  const { t } = usePage();
  return (
    <section class="card">
      <h1>{t("meetings.dashboard.hello", { name: user.name })}</h1>
      {!user.emailVerified && (
        <Notice kind="info">
          {t("meetings.dashboard.confirmEmail", { email: user.email })}{" "}
          <a href="/account/verify">{t("meetings.dashboard.sendAgain")}</a>
        </Notice>
      )}
      {!user.totpSecret && (
        <Notice kind="info">
          {t("meetings.dashboard.protect")} <a href="/account/totp">{t("meetings.dashboard.setUp")}</a>
        </Notice>
      )}
      <div class="dashboard-actions">
        <div class="new-meeting">
          <h2>{t("meetings.dashboard.start")}</h2>
          <p>{t("meetings.dashboard.startLead")}</p>
          <Form action="/meetings">
            <button type="submit">{t("meetings.dashboard.newMeeting")}</button>
          </Form>
        </div>
        <JoinForm />
      </div>
    </section>
  );
}

export const dashboardRoutes = new Hono<Env>();

dashboardRoutes.get("/dashboard", requireUser(), async (c) => {
  const user = c.get("user")!;
  const { kv, config } = c.get("deps");
  const now = Date.now();
  // Bounded reads: the ten newest hosted meetings, the person's schedules, and per shown meeting
  // at most a few dozen participant records for "Live now".
  const [recent, schedules] = await Promise.all([
    listHostedMeetings(kv, user.id, RECENT_LIMIT),
    listSchedulesFor(kv, user.id, user.emailVerified ? user.email : null),
  ]);
  const upcoming = upcomingFrom(schedules, now);
  const shown = [
    ...new Set(
      [...upcoming.map((o) => o.meeting), ...recent].filter((m) => m.status === "open" && m.startedAt).map((m) =>
        m.meetingId
      ),
    ),
  ];
  const presence: Presence = new Map(
    await Promise.all(shown.map(async (id) => [id, await countPresent(kv, id)] as const)),
  );
  const scheduled = new Map(schedules.map((e) => [e.meeting.meetingId, e.schedule]));
  return renderPage(
    c,
    <>
      <Greeting user={user} />
      <Upcoming items={upcoming} timeZone={user.timeZone} publicUrl={config.publicUrl} now={now} presence={presence} />
      <Recent
        meetings={recent}
        scheduled={scheduled}
        timeZone={user.timeZone}
        publicUrl={config.publicUrl}
        now={now}
        presence={presence}
      />
    </>,
    { title: translator(requestLocale(c))("site.dashboard") },
  );
});
