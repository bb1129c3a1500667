// Who may do what in a meeting, decided from the meeting and the person (roleOf in store.ts says
// which role someone has; these say whether that role is enough).

import { roleOf } from "./store.ts";
import type { Meeting, MeetingRole } from "./store.ts";

/** The roles that run a meeting: end it, manage its schedule, download its transcript and attendance. */
export const HOST_ROLES: readonly MeetingRole[] = ["host", "cohost"];

/** True when `role` hosts or co-hosts. */
export function isHostRole(role: MeetingRole): boolean {
  return HOST_ROLES.includes(role);
}

/** The person's role in the meeting when it is one of `allowed`, else null. */
export function allowedRole(
  meeting: Meeting,
  userId: string | null,
  allowed: readonly MeetingRole[],
): MeetingRole | null {
  const role = roleOf(meeting, userId);
  return allowed.includes(role) ? role : null;
}
