// GET/POST /rsvp/:token: an invitee's answer from the link in their invitation (no sign-in: the link
// itself is the invitee's secret).

import { Hono } from "hono";
import type { Context } from "hono";
import { getMeetingByNumber } from "../lib/meetings/store.ts";
import { Conflict, NotFound, ValidationError } from "../lib/common/errors.ts";
import { renderPage } from "../lib/web/render.tsx";
import type { Env } from "../lib/web/types.ts";
import { readForm } from "../lib/web/validate.ts";
import { formatWhen } from "../lib/scheduling/invitations.ts";
import { summarizeRecurrence } from "../lib/scheduling/summary.ts";
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
  if (!schedule || !invitee || !meeting) throw new NotFound("This invitation link is not valid (any more)");
  return { token, schedule, invitee, meeting };
}

function answerOf(v: string | undefined): "accept" | "decline" | null {
  return v === "accept" || v === "decline" ? v : null;
}

rsvpRoutes.get("/rsvp/:token", async (c) => {
  const { token, schedule, invitee, meeting } = await rsvpTarget(c);
  const answer = answerOf(c.req.query("answer"));
  const current = invitee.response === "needs-action" ? "not answered yet" : invitee.response;
  return renderPage(
    c,
    <section class="card narrow">
      <h1>{meeting.title}</h1>
      <p>{formatWhen(schedule.startsAt, schedule.timeZone)} · {summarizeRecurrence(schedule)}</p>
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

rsvpRoutes.post("/rsvp/:token", async (c) => {
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
