// The signed-in home: start or schedule a meeting, join one, upcoming scheduled meetings (in the
// viewer's time zone), and the meetings you host.

import type { Store } from "../lib/common/store.ts";
import { Hono } from "hono";
import { requireUser } from "../lib/web/middleware.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { listHostedMeetings } from "../lib/meetings/store.ts";
import { Form, Notice } from "../components/Form.tsx";
import { JoinForm } from "../components/JoinForm.tsx";
import { MeetingCard } from "../components/MeetingCard.tsx";
import { formatMeetingId } from "../lib/meetings/store.ts";
import type { Meeting } from "../lib/meetings/store.ts";
import { meetingJoinUrl } from "../lib/scheduling/ics.ts";
import { occurrencesOf } from "../lib/scheduling/occurrences.ts";
import { listSchedulesFor } from "../lib/scheduling/schedule.ts";

/** How far ahead "Upcoming" looks. */
export const UPCOMING_DAYS = 14;
/** The Join link goes live this long before a meeting starts. */
export const JOIN_EARLY_MS = 10 * 60_000;

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
async function upcomingFor(kv: Store, user: { id: string; email: string; emailVerified: boolean }, now: number) {
  const list = await listSchedulesFor(kv, user.id, user.emailVerified ? user.email : null);
  const out: UpcomingItem[] = [];
  for (const { meeting, schedule, role } of list) {
    if (meeting.status === "ended") continue;
    for (const o of occurrencesOf(schedule, now, now + UPCOMING_DAYS * 86_400_000)) out.push({ meeting, role, ...o });
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime()).slice(0, 50);
}

function Upcoming({ items, timeZone, publicUrl, now }: {
  items: UpcomingItem[];
  timeZone: string;
  publicUrl: string;
  now: number;
}) {
  const day = new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short" });
  const time = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit" });
  return (
    <section class="card">
      <div class="upcoming-header">
        <h2>Upcoming</h2>
        <a class="button" href="/meetings/new">Schedule a meeting</a>
      </div>
      <p class="muted">Times in {timeZone}.</p>
      {items.length === 0
        ? <p class="empty">Nothing scheduled in the next {UPCOMING_DAYS} days.</p>
        : (
          <ul class="upcoming-list">
            {items.map((o) => {
              const live = now >= o.start.getTime() - JOIN_EARLY_MS && now < o.end.getTime();
              return (
                <li key={`${o.meeting.meetingId} ${o.recurrenceId}`} class="upcoming-item">
                  <span class="upcoming-when">
                    {day.format(o.start)} {time.format(o.start)}–{time.format(o.end)}
                  </span>
                  <span class="upcoming-title">{o.meeting.title}</span>
                  <span class="muted">{formatMeetingId(o.meeting.meetingId)}</span>
                  {live
                    ? <a class="button upcoming-join" href={meetingJoinUrl(publicUrl, o.meeting)}>Join</a>
                    : <span class="muted upcoming-join-later">Join opens 10 minutes before</span>}
                  {o.role === "host" && <a href={`/meetings/${o.meeting.meetingId}/schedule`}>Schedule</a>}
                </li>
              );
            })}
          </ul>
        )}
    </section>
  );
}

export const dashboardRoutes = new Hono<Env>();

dashboardRoutes.get("/dashboard", requireUser(), async (c) => {
  const user = c.get("user")!;
  const { kv, config } = c.get("deps");
  const recent = await listHostedMeetings(kv, user.id, 10);
  const now = Date.now();
  const upcoming = await upcomingFor(kv, user, now);
  return renderPage(
    c,
    <>
      <section class="card">
        <h1>Hello, {user.name}</h1>
        {!user.emailVerified && (
          <Notice kind="info">
            Please confirm your email address with the link we sent to{" "}
            {user.email}. Until then you can sign in but cannot send invitations.{" "}
            <a href="/account/verify">Send the link again</a>
          </Notice>
        )}
        {!user.totpSecret && (
          <Notice kind="info">
            Protect your account with two-factor sign-in. <a href="/account/totp">Set it up</a>
          </Notice>
        )}
        <div class="dashboard-actions">
          <div class="new-meeting">
            <h2>Start a meeting</h2>
            <p>An instant meeting with a fresh meeting ID and passcode; you are its host.</p>
            <Form action="/meetings">
              <button type="submit">New meeting</button>
            </Form>
            <p>
              <a href="/meetings/new">Schedule a meeting</a>
            </p>
          </div>
          <JoinForm />
        </div>
      </section>
      <Upcoming items={upcoming} timeZone={user.timeZone} publicUrl={config.publicUrl} now={now} />
      <section class="card">
        <h2>Your recent meetings</h2>
        {recent.length === 0 ? <p class="empty">No meetings yet. Start one above.</p> : (
          <ul class="meeting-list">
            {recent.map((m) => <MeetingCard key={m.id} meeting={m} />)}
          </ul>
        )}
      </section>
    </>,
    { title: "Dashboard" },
  );
});
