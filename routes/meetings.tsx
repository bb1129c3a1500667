// Meeting pages: start an instant meeting, join by meeting ID or invitation link, the lobby, the
// meeting frame, "End meeting for all", and the hosts' downloads (chat transcript, attendance CSV).

import { Hono } from "hono";
import type { Context } from "hono";
import { z } from "zod";
import { createMeeting, formatMeetingId, getMeetingByNumber, parseMeetingId, roleOf } from "../lib/meetings/store.ts";
import type { Meeting } from "../lib/meetings/store.ts";
import { Forbidden, NotFound } from "../lib/common/errors.ts";
import { requireUser } from "../lib/web/middleware.ts";
import { renderPage } from "../lib/web/render.tsx";
import { clearCookie, readCookie, writeCookie } from "../lib/web/cookies.ts";
import type { Env } from "../lib/web/types.ts";
import { fieldErrors, readForm } from "../lib/web/validate.ts";
import {
  admissionCookie,
  blockedRefusal,
  currentAdmission,
  entryBlock,
  linkCookie,
  tryJoin,
} from "../lib/meetings/join.ts";
import { listChat, transcript } from "../lib/meetings/chat.ts";
import { attendanceCsv, listAttendance } from "../lib/meetings/attendance.ts";
import { LobbyPage } from "../components/LobbyPage.tsx";
import type { Admission, JoinRefusal } from "../lib/meetings/join.ts";
import { endMeeting } from "../lib/meetings/lifecycle.ts";
import { sipUriOf } from "../lib/telephony/phone.ts";
import type { Config } from "../lib/common/config.ts";
import { timingSafeEqual } from "../lib/common/ids.ts";
import { JoinForm } from "../components/JoinForm.tsx";
import { MeetingPage } from "../components/MeetingPage.tsx";
import { MeetingRoom } from "../islands/mod.ts";
import type { MeetingPageProps } from "../components/MeetingPage.tsx";
import { Notice } from "../components/Form.tsx";

export const meetingRoutes = new Hono<Env>();

const ADMISSION_COOKIE_SECONDS = 24 * 60 * 60;
const LINK_COOKIE_SECONDS = 60 * 60;

/** The invitation link for a meeting (carries the link token, never the passcode). */
export function joinUrl(publicUrl: string, meeting: Meeting): string {
  return `${publicUrl}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`;
}

const nameRule = z.string().trim().min(1, "Enter your name").max(60, "Use at most 60 characters");

const joinSchema = z.object({
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

const meetingJoinSchema = joinSchema.omit({ meetingId: true });

meetingRoutes.post("/meetings", requireUser(), async (c) => {
  const meeting = await createMeeting(c.get("deps").kv, { hostId: c.get("user")!.id });
  return c.redirect(`/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`, 303);
});

meetingRoutes.get("/join", (c) => renderJoinPage(c, {}));

meetingRoutes.post("/join", async (c) => {
  const values = await readForm(c);
  const user = c.get("user");
  const parsed = joinSchema.safeParse(values);
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  const name = user ? undefined : nameRule.safeParse(values.name ?? "");
  if (name && !name.success) errors.name = name.error.issues[0].message;
  if (!parsed.success || Object.keys(errors).length) return renderJoinPage(c, { values, errors, status: 422 });
  const meeting = await getMeetingByNumber(c.get("deps").kv, parsed.data.meetingId);
  if (!meeting) {
    return renderJoinPage(c, {
      values,
      status: 404,
      problem: "There is no meeting with that ID. Check the number in your invitation and try again.",
    });
  }
  const result = await tryJoin(c.get("deps").kv, {
    meeting,
    user,
    passcode: parsed.data.passcode,
    name: name?.data,
    clientIp: c.get("clientIp"),
    admissionToken: readCookie(c, admissionCookie(meeting.meetingId)),
  });
  if (!result.ok) return renderRefusal(c, meeting, result.refusal, { values, general: true });
  return admitted(c, meeting, result.token);
});

meetingRoutes.get("/m/:meetingId", async (c) => {
  const { kv, config } = c.get("deps");
  const meeting = await findMeeting(c);
  if (!meeting) return renderUnknown(c);
  const user = c.get("user");
  const pwd = c.req.query("pwd");
  const previous = readCookie(c, admissionCookie(meeting.meetingId));
  if (pwd !== undefined) {
    // The link token counts as the passcode; it never stays in the address bar.
    if (timingSafeEqual(pwd, meeting.linkToken)) {
      if (user) {
        const result = await tryJoin(kv, {
          meeting,
          user,
          linkToken: pwd,
          clientIp: c.get("clientIp"),
          admissionToken: previous,
        });
        if (!result.ok) return renderRefusal(c, meeting, result.refusal, {});
        return admitted(c, meeting, result.token);
      }
      writeCookie(c, linkCookie(meeting.meetingId), pwd, LINK_COOKIE_SECONDS);
    }
    return c.redirect(`/m/${meeting.meetingId}`, 303);
  }
  const admission = await currentAdmission(kv, meeting, previous);
  if (admission?.state === "admitted") return renderMeeting(c, meeting, admission, config.publicUrl);
  if (admission?.state === "waiting") return renderLobby(c, meeting, admission, config.publicUrl);
  if (admission) {
    // Denied (for 10 minutes) or removed: say so instead of offering a form that would refuse anyway.
    const block = await blockedRefusal(kv, meeting.meetingId, {
      userId: user?.id ?? null,
      ip: c.get("clientIp"),
      admissionToken: previous,
    });
    if (block) return renderRefusal(c, meeting, block, {});
  }
  const blocked = entryBlock(meeting, user?.id ?? null);
  if (blocked) return renderRefusal(c, meeting, blocked, {});
  const role = roleOf(meeting, user?.id ?? null);
  const link = readCookie(c, linkCookie(meeting.meetingId));
  const hasLink = link !== undefined && timingSafeEqual(link, meeting.linkToken);
  if (role === "host" || role === "cohost" || (user && hasLink)) {
    const result = await tryJoin(kv, {
      meeting,
      user,
      linkToken: link,
      clientIp: c.get("clientIp"),
      admissionToken: previous,
    });
    if (!result.ok) return renderRefusal(c, meeting, result.refusal, {});
    return admitted(c, meeting, result.token);
  }
  return renderMeetingJoin(c, meeting, { askPasscode: !hasLink });
});

meetingRoutes.post("/m/:meetingId/join", async (c) => {
  const meeting = await findMeeting(c);
  if (!meeting) return renderUnknown(c);
  const values = await readForm(c);
  const user = c.get("user");
  const link = readCookie(c, linkCookie(meeting.meetingId));
  const hasLink = link !== undefined && timingSafeEqual(link, meeting.linkToken);
  const parsed = meetingJoinSchema.safeParse(values);
  const errors = parsed.success ? {} : fieldErrors(parsed.error);
  const name = user ? undefined : nameRule.safeParse(values.name ?? "");
  if (name && !name.success) errors.name = name.error.issues[0].message;
  if (!parsed.success || Object.keys(errors).length) {
    return renderMeetingJoin(c, meeting, { askPasscode: !hasLink, values, errors, status: 422 });
  }
  const result = await tryJoin(c.get("deps").kv, {
    meeting,
    user,
    passcode: parsed.data.passcode,
    linkToken: hasLink ? link : undefined,
    name: name?.data,
    clientIp: c.get("clientIp"),
    admissionToken: readCookie(c, admissionCookie(meeting.meetingId)),
  });
  if (!result.ok) return renderRefusal(c, meeting, result.refusal, { values, askPasscode: !hasLink });
  return admitted(c, meeting, result.token);
});

meetingRoutes.post("/m/:meetingId/end", requireUser(), async (c) => {
  const meeting = await findMeeting(c);
  if (!meeting) throw new NotFound("There is no meeting with that ID");
  const role = roleOf(meeting, c.get("user")!.id);
  if (role !== "host" && role !== "cohost") throw new Forbidden("Only the meeting's hosts can end it");
  await endMeeting(c.get("deps").kv, meeting, c.get("deps").gateway);
  return c.redirect("/dashboard", 303);
});

/** The meeting named in the path when the signed-in caller hosts or co-hosts it (404 / 403 otherwise). */
async function hostedMeeting(c: Context<Env>): Promise<Meeting> {
  const meeting = await findMeeting(c);
  if (!meeting) throw new NotFound("There is no meeting with that ID");
  const role = roleOf(meeting, c.get("user")!.id);
  if (role !== "host" && role !== "cohost") throw new Forbidden("Only the meeting's hosts and co-hosts can do that");
  return meeting;
}

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

meetingRoutes.get("/meetings/:meetingId/transcript.txt", requireUser(), async (c) => {
  const meeting = await hostedMeeting(c);
  const records = await listChat(c.get("deps").kv, meeting.meetingId);
  const text = transcript(meeting.title, records, c.get("user")!.id);
  return download(text, "text/plain; charset=utf-8", `chat-${meeting.meetingId}.txt`);
});

meetingRoutes.get("/meetings/:meetingId/attendance.csv", requireUser(), async (c) => {
  const meeting = await hostedMeeting(c);
  const csv = attendanceCsv(await listAttendance(c.get("deps").kv, meeting));
  // The BOM makes spreadsheet programs read names as UTF-8.
  return download("\ufeff" + csv, "text/csv; charset=utf-8", `attendance-${meeting.meetingId}.csv`);
});

async function findMeeting(c: Context<Env>): Promise<Meeting | null> {
  const id = parseMeetingId(c.req.param("meetingId") ?? "");
  return id ? await getMeetingByNumber(c.get("deps").kv, id) : null;
}

/** Stores the admission cookie and sends the person to the clean meeting URL. */
function admitted(c: Context<Env>, meeting: Meeting, token: string): Response {
  writeCookie(c, admissionCookie(meeting.meetingId), token, ADMISSION_COOKIE_SECONDS);
  clearCookie(c, linkCookie(meeting.meetingId));
  return c.redirect(`/m/${meeting.meetingId}`, 303);
}

/** The waiting page: the island (with `waiting`) follows the lobby socket and reloads once admitted. */
function renderLobby(c: Context<Env>, meeting: Meeting, admission: Admission, publicUrl: string): Response {
  const props = meetingProps(meeting, admission, publicUrl, true, c.get("deps").config);
  return renderPage(
    c,
    <LobbyPage {...props} knockedAt={admission.createdAt}>
      <MeetingRoom {...props} />
    </LobbyPage>,
    { title: meeting.title, styles: ["/static/meeting.css"] },
  );
}

function meetingProps(
  meeting: Meeting,
  admission: Admission,
  publicUrl: string,
  waiting: boolean,
  config: Config,
): MeetingPageProps {
  const privileged = admission.role === "host" || admission.role === "cohost";
  const sipUri = sipUriOf(config, meeting.meetingId);
  return {
    meeting: { meetingId: meeting.meetingId, title: meeting.title, formattedId: formatMeetingId(meeting.meetingId) },
    me: { participantName: admission.name, role: admission.role },
    invite: privileged
      ? {
        url: joinUrl(publicUrl, meeting),
        passcode: meeting.passcode,
        ...(sipUri ? { sipUri } : {}),
        ...(config.sipDidNumber ? { dialInNumber: config.sipDidNumber } : {}),
      }
      : null,
    socketPath: `/meetings/${meeting.meetingId}/ws`,
    mediaPath: `/meetings/${meeting.meetingId}/media`,
    waiting,
  };
}

function renderMeeting(c: Context<Env>, meeting: Meeting, admission: Admission, publicUrl: string): Response {
  const props: MeetingPageProps = meetingProps(meeting, admission, publicUrl, false, c.get("deps").config);
  c.set("cspConnect", [new URL(c.get("deps").config.janusWsUrl).origin.replace(/^http/, "ws")]);
  return renderPage(
    c,
    <MeetingPage {...props}>
      <MeetingRoom {...props} />
    </MeetingPage>,
    { title: meeting.title, styles: ["/static/meeting.css"] },
  );
}

interface JoinPageOptions {
  values?: Record<string, string>;
  errors?: Record<string, string>;
  problem?: string;
  status?: number;
  headers?: Record<string, string>;
}

function renderJoinPage(c: Context<Env>, o: JoinPageOptions): Response {
  return renderPage(
    c,
    <section class="card narrow">
      <JoinForm askName={!c.get("user")} values={o.values} errors={o.errors} problem={o.problem} />
    </section>,
    { title: "Join a meeting", status: o.status ?? 200, headers: o.headers },
  );
}

function renderUnknown(c: Context<Env>): Response {
  return renderJoinPage(c, {
    status: 404,
    problem: "There is no meeting with that ID. Check the number in your invitation and try again.",
  });
}

function renderMeetingJoin(
  c: Context<Env>,
  meeting: Meeting,
  o: JoinPageOptions & { askPasscode: boolean },
): Response {
  return renderPage(
    c,
    <section class="card narrow">
      <h1>{meeting.title}</h1>
      <p class="meeting-id">Meeting ID {formatMeetingId(meeting.meetingId)}</p>
      <JoinForm
        action={`/m/${meeting.meetingId}/join`}
        heading={c.get("user") ? "Enter the passcode" : "Join as a guest"}
        askMeetingId={false}
        askPasscode={o.askPasscode}
        askName={!c.get("user")}
        values={o.values}
        errors={o.errors}
        problem={o.problem}
      />
      {!c.get("user") && (
        <p>
          Have an account? <a href={`/signin?next=${encodeURIComponent(`/m/${meeting.meetingId}`)}`}>Sign in</a>{" "}
          to join with it.
        </p>
      )}
    </section>,
    { title: meeting.title, status: o.status ?? 200 },
  );
}

/** A refused join: field problems re-render the form they came from; the rest get a clear page. */
function renderRefusal(
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
