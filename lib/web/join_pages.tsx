// The join form and what it answers, shared by /join (meeting ID typed in) and /m/:meetingId (the
// invitation link): the form pages, refusals, and the admission cookie once someone is let in.

import { isBeingRecorded } from "../recordings/service.ts";
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
import { usePage } from "./page_context.ts";
import { requestLocale } from "./i18n.ts";
import { translator } from "../i18n/translate.ts";
import type { MessageKey } from "../i18n/client.ts";
import { say } from "../i18n/message.ts";

export const ADMISSION_COOKIE_SECONDS = 24 * 60 * 60;

// The join forms' rules speak in message keys: only pages show them, and Field translates them.
export const nameRule = z.string().overwrite(cleanLine).trim().min(1, msg("meetings.join.enterName")).max(
  60,
  msg("meetings.join.nameLong"),
);

export const joinSchema = z.object({
  meetingId: z.string().trim().min(1, msg("meetings.join.enterId")).transform((s, ctx) => {
    const id = parseMeetingId(s);
    if (!id) {
      ctx.addIssue({ code: "custom", message: msg("meetings.join.badId") });
      return z.NEVER;
    }
    return id;
  }),
  passcode: z.string().max(40, msg("meetings.join.passcodeLong")).optional(),
  name: z.string().optional(),
});

function msg(key: MessageKey): MessageKey {
  return key;
}

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
    { title: translator(requestLocale(c))("join.heading"), status: o.status ?? 200, headers: o.headers },
  );
}

export function renderUnknown(c: Context<Env>): Response {
  return renderJoinPage(c, {
    status: 404,
    problem: "meetings.join.unknown",
  });
}

export async function renderMeetingJoin(
  c: Context<Env>,
  meeting: Meeting,
  o: JoinPageOptions & { askPasscode: boolean },
): Promise<Response> {
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
      recording={await isBeingRecorded(c.get("deps").kv, meeting.meetingId)}
      signInHref={signInHref}
    />,
    { title: meeting.title, status: o.status ?? 200, styles: ["/static/meeting.css"], frame: "app" },
  );
}

/** A refused join: field problems re-render the form they came from; the rest get a clear page. */
export async function renderRefusal(
  c: Context<Env>,
  meeting: Meeting,
  refusal: JoinRefusal,
  o: { values?: Record<string, string>; general?: boolean; askPasscode?: boolean },
): Promise<Response> {
  if (refusal.kind === "fields") {
    // The join rules' field messages are keys (lib/meetings/join.ts); the form's fields say them.
    const errors = refusal.fields;
    if (o.general) return renderJoinPage(c, { values: o.values, errors, status: 422 });
    return await renderMeetingJoin(c, meeting, {
      askPasscode: o.askPasscode ?? true,
      values: o.values,
      errors,
      status: 422,
    });
  }
  return renderPage(c, <Refusal meeting={meeting} refusal={refusal} />, {
    title: meeting.title,
    status: refusal.status,
  });
}

function Refusal({ meeting, refusal }: { meeting: Meeting; refusal: Exclude<JoinRefusal, { kind: "fields" }> }) {
  const { t, user } = usePage();
  const signIn = `/signin?next=${encodeURIComponent(`/m/${meeting.meetingId}`)}`;
  return (
    <section class="card narrow">
      <h1>{meeting.title}</h1>
      <Notice kind="error">{say(t, refusal.message)}</Notice>
      {refusal.kind === "sign-in" && (
        <p>
          <a class="button" href={signIn}>{t("site.signIn")}</a> <a href="/signup">{t("home.createAccount")}</a>
        </p>
      )}
      {refusal.kind !== "sign-in" && <JoinForm askName={!user} heading={t("meetings.join.another")} />}
    </section>
  );
}
