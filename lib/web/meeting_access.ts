// The meeting a URL names (`:meetingId` in the path) and the caller's right to act on it, for route
// handlers: one lookup (parse the ten digits, load, 404) and one role check (403), so every route
// answers an unknown meeting or a missing role the same way. The decision itself is lib/meetings'.

import type { Context } from "hono";
import { Forbidden, NotFound } from "../common/errors.ts";
import { getMeetingByNumber, parseMeetingId } from "../meetings/store.ts";
import type { Meeting, MeetingRole } from "../meetings/store.ts";
import { allowedRole, HOST_ROLES } from "../meetings/roles.ts";
import type { Env } from "./types.ts";

export { HOST_ROLES };

// Message keys (lib/i18n/message.ts): pages say them in their language, the API in English.
export const NO_SUCH_MEETING = "meetings.error.noMeeting";

/** The meeting named by the path's `:meetingId`, or null when the id is malformed or unknown. */
export async function findMeetingFromPath(c: Context<Env>): Promise<Meeting | null> {
  const id = parseMeetingId(c.req.param("meetingId") ?? "");
  return id ? await getMeetingByNumber(c.get("deps").kv, id) : null;
}

/** The meeting named by the path's `:meetingId`; NotFound (404) when there is none. */
export async function meetingFromPath(c: Context<Env>, notFound = NO_SUCH_MEETING): Promise<Meeting> {
  const meeting = await findMeetingFromPath(c);
  if (!meeting) throw new NotFound(notFound);
  return meeting;
}

/**
 * The signed-in caller's role in `meeting` when it is one of `allowed`; Forbidden (403) otherwise.
 * Guests (no user) have the role "guest".
 */
export function requireMeetingRole(
  c: Context<Env>,
  meeting: Meeting,
  allowed: readonly MeetingRole[],
  forbidden = "meetings.error.hostsAndCohosts",
): MeetingRole {
  const role = allowedRole(meeting, c.get("user")?.id ?? null, allowed);
  if (!role) throw new Forbidden(forbidden);
  return role;
}

/** The path's meeting when the signed-in caller hosts or co-hosts it (404 / 403 otherwise). */
export async function hostedMeetingFromPath(
  c: Context<Env>,
  forbidden?: string,
): Promise<Meeting> {
  const meeting = await meetingFromPath(c);
  requireMeetingRole(c, meeting, HOST_ROLES, forbidden);
  return meeting;
}
