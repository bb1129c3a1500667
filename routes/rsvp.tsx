// GET/POST /rsvp/:token: an invitee's answer from the link in their invitation (no sign-in: the link
// itself is the invitee's secret).

import { Hono } from "hono";
import type { Context } from "hono";
import { getMeetingByNumber } from "../lib/meetings/store.ts";
import { Conflict, NotFound, ValidationError } from "../lib/common/errors.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { readForm } from "../lib/web/validate.ts";
import { formatStart, summarizeRecurrence, summaryCatalog } from "../lib/scheduling/summary.ts";
import type { Invitee, Schedule } from "../lib/scheduling/schedule.ts";
import { usePage } from "../lib/web/page_context.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";
import { findInviteeByToken, getSchedule, meetingIdOfToken, recordResponse } from "../lib/scheduling/schedule.ts";
import { Form, Notice } from "../components/Form.tsx";

export const rsvpRoutes = new Hono<Env>();

async function rsvpTarget(c: Context<Env>) {
  const token = c.req.param("token") ?? "";
  const meetingId = meetingIdOfToken(token);
  const { kv } = c.get("deps");
  const schedule = meetingId ? await getSchedule(kv, meetingId) : null;
  const invitee = schedule ? findInviteeByToken(schedule, token) : null;
  const meeting = schedule ? await getMeetingByNumber(kv, schedule.meetingId) : null;
  // A message key: only this page shows it (the error page translates it).
  if (!schedule || !invitee || !meeting) throw new NotFound("meetings.rsvp.invalid");
  return { token, schedule, invitee, meeting };
}

function answerOf(v: string | undefined): "accept" | "decline" | null {
  return v === "accept" || v === "decline" ? v : null;
}

rsvpRoutes.get("/rsvp/:token", async (c) => {
  const { token, schedule, invitee, meeting } = await rsvpTarget(c);
  const answer = answerOf(c.req.query("answer"));
  return renderPage(
    c,
    <Invitation token={token} schedule={schedule} invitee={invitee} title={meeting.title} answer={answer} />,
    {
      title: translator(requestLocale(c))("meetings.rsvp.pageTitle", { title: meeting.title }),
      headers: { "Referrer-Policy": "no-referrer" },
    },
  );
});

function Invitation({ token, schedule, invitee, title, answer }: {
  token: string;
  schedule: Schedule;
  invitee: Invitee;
  title: string;
  answer: "accept" | "decline" | null;
}) {
  const { t, locale } = usePage();
  const current = invitee.response === "needs-action"
    ? t("meetings.rsvp.notYet")
    : invitee.response === "accepted"
    ? t("meetings.rsvp.isAccepted")
    : t("meetings.rsvp.isDeclined");
  return (
    <section class="card narrow">
      <h1>{title}</h1>
      <p>
        {formatStart(schedule.startsAt, schedule.timeZone, locale)} ·{" "}
        {summarizeRecurrence(schedule, summaryCatalog(locale))}
      </p>
      {schedule.cancelledAt && <Notice kind="info">{t("meetings.schedule.wasCancelled")}</Notice>}
      <p>{t("meetings.rsvp.for", { email: invitee.email, answer: current })}</p>
      {!schedule.cancelledAt && (
        <div class="rsvp-actions">
          {(answer ?? "accept") === "accept" && (
            <Form action={`/rsvp/${encodeURIComponent(token)}`} class="inline">
              <input type="hidden" name="answer" value="accept" />
              <button type="submit">{t("meetings.rsvp.accept")}</button>
            </Form>
          )}
          {(answer ?? "decline") === "decline" && (
            <Form action={`/rsvp/${encodeURIComponent(token)}`} class="inline">
              <input type="hidden" name="answer" value="decline" />
              <button type="submit" class="secondary">{t("meetings.rsvp.decline")}</button>
            </Form>
          )}
        </div>
      )}
    </section>
  );
}

function Answered({ accepted, title }: { accepted: boolean; title: string }) {
  const { t } = usePage();
  return (
    <section class="card narrow">
      <h1>{t("meetings.rsvp.thanks")}</h1>
      <Notice kind="success">
        {accepted ? t("meetings.rsvp.accepted", { title }) : t("meetings.rsvp.declined", { title })}
      </Notice>
    </section>
  );
}

rsvpRoutes.post("/rsvp/:token", async (c) => {
  const { token, schedule } = await rsvpTarget(c);
  if (schedule.cancelledAt) throw new Conflict("meetings.schedule.wasCancelled");
  const values = await readForm(c);
  const answer = answerOf(values.answer);
  if (!answer) throw new ValidationError({ answer: "meetings.rsvp.choose" });
  const res = await recordResponse(c.get("deps").kv, token, answer === "accept" ? "accepted" : "declined");
  if (!res) throw new NotFound("meetings.rsvp.invalid");
  const title = (await getMeetingByNumber(c.get("deps").kv, schedule.meetingId))?.title ?? "";
  return renderPage(c, <Answered accepted={answer === "accept"} title={title} />, {
    title: translator(requestLocale(c))("meetings.rsvp.recorded"),
    headers: { "Referrer-Policy": "no-referrer" },
  });
});
