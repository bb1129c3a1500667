// /m/:meetingId: the invitation link, the join form for one meeting, the lobby, the meeting frame,
// and "End meeting for all".

import { isBeingRecorded } from "../../lib/recordings/service.ts";
import { Hono } from "hono";
import type { Context } from "hono";
import { formatMeetingId, roleOf } from "../../lib/meetings/store.ts";
import type { Meeting } from "../../lib/meetings/store.ts";
import { requireUser } from "../../lib/web/middleware.ts";
import { renderPage } from "../../lib/web/render.tsx";
import { readCookie, writeCookie } from "../../lib/web/cookies.ts";
import type { Env } from "../../lib/web/types.ts";
import { fieldErrors, readForm } from "../../lib/web/validate.ts";
import {
  admissionCookie,
  blockedRefusal,
  currentAdmission,
  entryBlock,
  linkCookie,
  tryJoin,
} from "../../lib/meetings/join.ts";
import { LobbyPage } from "../../components/LobbyPage.tsx";
import type { Admission } from "../../lib/meetings/join.ts";
import { endMeeting } from "../../lib/meetings/lifecycle.ts";
import { sipUriOf } from "../../lib/telephony/phone.ts";
import { timingSafeEqual } from "../../lib/common/ids.ts";
import { MeetingPage } from "../../components/MeetingPage.tsx";
import { MeetingRoom } from "../../islands/mod.ts";
import type { MeetingPageProps } from "../../components/MeetingPage.tsx";
import {
  admitted,
  joinSchema,
  nameRule,
  renderMeetingJoin,
  renderRefusal,
  renderUnknown,
} from "../../lib/web/join_pages.tsx";
import { findMeetingFromPath, hostedMeetingFromPath } from "../../lib/web/meeting_access.ts";
import { isHostRole } from "../../lib/meetings/roles.ts";
import { roomSettings } from "../../lib/meetings/settings.ts";
import { requestLocale } from "../../lib/web/i18n.ts";
import { islandI18n, ROOM_PREFIXES } from "../../lib/i18n/translate.ts";
import { meetingJoinUrl } from "../../lib/scheduling/ics.ts";

export const meetingPageRoutes = new Hono<Env>();

const LINK_COOKIE_SECONDS = 60 * 60;

const meetingJoinSchema = joinSchema.omit({ meetingId: true });

meetingPageRoutes.get("/m/:meetingId", async (c) => {
  const { kv } = c.get("deps");
  const meeting = await findMeetingFromPath(c);
  if (!meeting) return renderUnknown(c);
  const user = c.get("user");
  const pwd = c.req.query("pwd");
  const previous = readCookie(c, admissionCookie(meeting.meetingId));
  /** Joins at once (no form): admitted, or the refusal page. */
  const joinNow = async (linkToken: string | undefined) => {
    const result = await tryJoin(kv, {
      meeting,
      user,
      linkToken,
      clientIp: c.get("clientIp"),
      admissionToken: previous,
    });
    return result.ok ? admitted(c, meeting, result.token) : renderRefusal(c, meeting, result.refusal, {});
  };
  if (pwd !== undefined) {
    // The link token counts as the passcode; it never stays in the address bar.
    if (timingSafeEqual(pwd, meeting.linkToken)) {
      if (user) return await joinNow(pwd);
      writeCookie(c, linkCookie(meeting.meetingId), pwd, LINK_COOKIE_SECONDS);
    }
    return c.redirect(`/m/${meeting.meetingId}`, 303);
  }
  const admission = await currentAdmission(kv, meeting, previous);
  if (admission?.state === "admitted") return await renderMeeting(c, meeting, admission);
  if (admission?.state === "waiting") return await renderLobby(c, meeting, admission);
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
  if (isHostRole(role) || (user && hasLink)) return await joinNow(link);
  return renderMeetingJoin(c, meeting, { askPasscode: !hasLink });
});

meetingPageRoutes.post("/m/:meetingId/join", async (c) => {
  const meeting = await findMeetingFromPath(c);
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

meetingPageRoutes.post("/m/:meetingId/end", requireUser(), async (c) => {
  const meeting = await hostedMeetingFromPath(c, "meetings.error.endHostsOnly");
  await endMeeting(c.get("deps").kv, meeting, c.get("deps").gateway);
  return c.redirect("/dashboard", 303);
});

/** The waiting page: the island (with `waiting`) follows the lobby socket and reloads once admitted. */
async function renderLobby(c: Context<Env>, meeting: Meeting, admission: Admission): Promise<Response> {
  const props: MeetingPageProps = {
    ...await meetingProps(c, meeting, admission, true),
    waitingReason: roomSettings(meeting).locked ? "locked" : "lobby",
  };
  c.set("cspWasm", true); // the waiting room's pre-join offers the effects too (wasm)
  return renderPage(
    c,
    <LobbyPage {...props} knockedAt={admission.createdAt}>
      <MeetingRoom {...props} />
    </LobbyPage>,
    { title: meeting.title, styles: ["/static/meeting.css"], frame: "app" },
  );
}

async function meetingProps(
  c: Context<Env>,
  meeting: Meeting,
  admission: Admission,
  waiting: boolean,
): Promise<MeetingPageProps> {
  const { config, kv } = c.get("deps");
  const publicUrl = config.publicUrl;
  const locale = requestLocale(c);
  const privileged = isHostRole(admission.role);
  const sipUri = sipUriOf(config, meeting.meetingId);
  return {
    meeting: { meetingId: meeting.meetingId, title: meeting.title, formattedId: formatMeetingId(meeting.meetingId) },
    me: { participantName: admission.name, role: admission.role },
    invite: privileged
      ? {
        url: meetingJoinUrl(publicUrl, meeting),
        passcode: meeting.passcode,
        ...(sipUri ? { sipUri } : {}),
        ...(config.sipDidNumber ? { dialInNumber: config.sipDidNumber } : {}),
      }
      : null,
    socketPath: `/meetings/${meeting.meetingId}/ws`,
    mediaPath: `/meetings/${meeting.meetingId}/media`,
    waiting,
    i18n: islandI18n(locale, ROOM_PREFIXES),
    recording: await isBeingRecorded(kv, meeting.meetingId),
  };
}

async function renderMeeting(c: Context<Env>, meeting: Meeting, admission: Admission): Promise<Response> {
  const props = await meetingProps(c, meeting, admission, false);
  c.set("cspConnect", [new URL(c.get("deps").config.janusWsUrl).origin.replace(/^http/, "ws")]);
  c.set("cspWasm", true); // background effects and noise suppression compile wasm (effects/)
  return renderPage(
    c,
    <MeetingPage {...props}>
      <MeetingRoom {...props} />
    </MeetingPage>,
    { title: meeting.title, styles: ["/static/meeting.css"], frame: "app" },
  );
}
