// The join form and what it answers, shared by /join (meeting ID typed in) and /m/:meetingId (the
// invitation link): the form pages, refusals, and the admission cookie once someone is let in.

import type { Context } from "hono";
import { z } from "zod";
import { cleanLine } from "../common/text.ts";
import { formatMeetingId, parseMeetingId, roleOf } from "../meetings/store.ts";
import { roomSettings } from "../meetings/settings.ts";
import type { Meeting } from "../meetings/store.ts";
import { renderPage } from "./render.tsx";
import { clearCookie, writeCookie } from "./cookies.ts";
import type { Env } from "./types.ts";
import { admissionCookie, initialAdmissionState, linkCookie } from "../meetings/join.ts";
import type { JoinRefusal } from "../meetings/join.ts";
import { JoinForm } from "../../components/JoinForm.tsx";
import { EntryPage } from "../../components/EntryPage.tsx";
import { Notice } from "../../components/Form.tsx";

export const ADMISSION_COOKIE_SECONDS = 24 * 60 * 60;

export const nameRule = z.string().overwrite(cleanLine).trim().min(1, "Enter your name").max(
  60,
  "Use at most 60 characters",
);

export const joinSchema = z.object({
  meetingId: z.string().trim().min(1, "Enter the meeting ID").transform((s, ctx) => {
    const id = parseMeetingId(s);
    if (!id) {
      ctx.addIssue({ code: "custom", message: "A meeting ID has ten digits, like 123 456 7890" });
      return z.NEVER;
    }
    return id;
  }),
  passcode: z.string().max(40, "That passcode is too long").optional(),
  name: z.string().optional(),
});

/** Stores the admission cookie and sends the person to the clean meeting URL. */
export function admitted(c: Context<Env>, meeting: Meeting, token: string): Response {
  writeCookie(c, admissionCookie(meeting.meetingId), token, ADMISSION_COOKIE_SECONDS);
  clearCookie(c, linkCookie(meeting.meetingId));
  return c.redirect(`/m/${meeting.meetingId}`, 303);
}

export interface JoinPageOptions {
  values?: Record<string, string>;
  errors?: Record<string, string>;
  problem?: string;
  status?: number;
  headers?: Record<string, string>;
}

export function renderJoinPage(c: Context<Env>, o: JoinPageOptions): Response {
  return renderPage(
    c,
    <section class="card narrow">
      <JoinForm
        askName={!c.get("user")}
        values={o.values}
        errors={o.errors}
        problem={o.problem}
        headingLevel={1}
      />
    </section>,
    { title: "Join a meeting", status: o.status ?? 200, headers: o.headers },
  );
}

export function renderUnknown(c: Context<Env>): Response {
  return renderJoinPage(c, {
    status: 404,
    problem: "There is no meeting with that ID. Check the number in your invitation and try again.",
  });
}

export function renderMeetingJoin(
  c: Context<Env>,
  meeting: Meeting,
  o: JoinPageOptions & { askPasscode: boolean },
): Response {
  const user = c.get("user");
  const signInHref = user ? null : `/signin?next=${encodeURIComponent(`/m/${meeting.meetingId}`)}`;
  c.set("cspWasm", true); // the entry page's preview offers the effects (wasm)
  return renderPage(
    c,
    <EntryPage
      meeting={{ meetingId: meeting.meetingId, title: meeting.title, formattedId: formatMeetingId(meeting.meetingId) }}
      form={{
        action: `/m/${meeting.meetingId}/join`,
        askMeetingId: false,
        askPasscode: o.askPasscode,
        askName: !user,
        values: o.values,
        errors: o.errors,
        problem: o.problem,
      }}
      asksToJoin={initialAdmissionState(meeting, roleOf(meeting, user?.id ?? null)) === "waiting"}
      locked={roomSettings(meeting).locked}
      signInHref={signInHref}
    />,
    { title: meeting.title, status: o.status ?? 200, styles: ["/static/meeting.css"], frame: "app" },
  );
}

/** A refused join: field problems re-render the form they came from; the rest get a clear page. */
export function renderRefusal(
  c: Context<Env>,
  meeting: Meeting,
  refusal: JoinRefusal,
  o: { values?: Record<string, string>; general?: boolean; askPasscode?: boolean },
): Response {
  if (refusal.kind === "fields") {
    if (o.general) return renderJoinPage(c, { values: o.values, errors: refusal.fields, status: 422 });
    return renderMeetingJoin(c, meeting, {
      askPasscode: o.askPasscode ?? true,
      values: o.values,
      errors: refusal.fields,
      status: 422,
    });
  }
  const signIn = `/signin?next=${encodeURIComponent(`/m/${meeting.meetingId}`)}`;
  return renderPage(
    c,
    <section class="card narrow">
      <h1>{meeting.title}</h1>
      <Notice kind="error">{refusal.message}</Notice>
      {refusal.kind === "sign-in" && (
        <p>
          <a class="button" href={signIn}>Sign in</a> <a href="/signup">Create an account</a>
        </p>
      )}
      {refusal.kind !== "sign-in" && <JoinForm askName={!c.get("user")} heading="Join another meeting" />}
    </section>,
    { title: meeting.title, status: refusal.status },
  );
}
