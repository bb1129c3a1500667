// Every route module, in the order they are mounted. The file path mirrors the URL (Fresh's
// convention, one Hono module per file): `/account/totp/confirm` is handled in
// routes/account/totp.tsx, `/m/:meetingId` in routes/m/[meetingId].tsx, `/api/v1/meetings/:id` in
// routes/api/v1/meetings.ts; `index` is the folder's own URL and `_name` files serve more than one
// prefix (asset routes, middleware). tests/routes_layout_test.ts holds every module to that.
//
// Order matters where patterns overlap: static assets first; `/meetings/new` (meetings/index.tsx)
// before `/meetings/:meetingId/…`; the /api/v1 middleware before every /api/v1 route.

import type { Hono } from "hono";
import type { AppDeps, Env } from "../lib/web/types.ts";
import { createApp } from "../lib/web/app.tsx";
import { islandAssetRoutes, staticAssetRoutes } from "./_islands.ts";
import { homeRoutes } from "./index.tsx";
import { signupRoutes } from "./signup.tsx";
import { verifyRoutes } from "./verify.tsx";
import { signinRoutes } from "./signin.tsx";
import { signoutRoutes } from "./signout.ts";
import { resetRoutes } from "./reset.tsx";
import { accountRoutes } from "./account/index.tsx";
import { accountTotpRoutes } from "./account/totp.tsx";
import { tokenRoutes } from "./account/tokens.tsx";
import { accountCalendarRoutes } from "./account/calendar.ts";
import { notificationRoutes } from "./account/notifications.tsx";
import { apiV1Middleware } from "./api/v1/_middleware.ts";
import { apiMeRoutes } from "./api/v1/me.ts";
import { apiTokenRoutes } from "./api/v1/tokens.ts";
import { apiPushRoutes } from "./api/v1/push.ts";
import { apiMeetingRoutes } from "./api/v1/meetings.ts";
import { apiCalendarRoutes } from "./api/v1/calendar.ts";
import { apiRecordingRoutes } from "./api/v1/recordings.ts";
import { apiMeetingRecordingRoutes } from "./api/v1/meetings/[meetingId]/recording.ts";
import { adminUserRoutes } from "./admin/users.tsx";
import { adminAuditRoutes } from "./admin/audit.tsx";
import { devRoutes } from "./dev/outbox.tsx";
import { helpRoutes } from "./help.tsx";
import { dashboardRoutes } from "./dashboard.tsx";
import { joinRoutes } from "./join.tsx";
import { meetingPageRoutes } from "./m/[meetingId].tsx";
import { meetingsRoutes } from "./meetings/index.tsx";
import { meetingResourceRoutes } from "./meetings/[meetingId].tsx";
import { meetingSocketRoutes } from "./meetings/[meetingId]/socket.ts";
import { recordingListRoutes } from "./recordings/index.tsx";
import { recordingPageRoutes } from "./recordings/[recordingId].tsx";
import { shareLinkRoutes } from "./r/[token].tsx";
import { rsvpRoutes } from "./rsvp.tsx";
import { calendarFeedRoutes } from "./calendar.ts";
import { serviceWorkerRoutes } from "./sw.ts";
import { webManifestRoutes } from "./manifest.ts";
import { offlineRoutes } from "./offline.tsx";
import { internalSipRoutes } from "./internal/sip.ts";
import { languageRoutes } from "./language.ts";

export const routes: Hono<Env>[] = [
  // Hashed names immutable, plain names revalidated; both in the build's brotli or gzip.
  staticAssetRoutes,
  homeRoutes,
  languageRoutes,
  islandAssetRoutes,
  signupRoutes,
  verifyRoutes,
  signinRoutes,
  signoutRoutes,
  resetRoutes,
  accountRoutes,
  accountTotpRoutes,
  tokenRoutes,
  accountCalendarRoutes,
  notificationRoutes,
  apiV1Middleware,
  apiMeRoutes,
  apiTokenRoutes,
  apiPushRoutes,
  apiMeetingRoutes,
  apiCalendarRoutes,
  apiRecordingRoutes,
  apiMeetingRecordingRoutes,
  adminUserRoutes,
  adminAuditRoutes,
  devRoutes,
  helpRoutes,
  dashboardRoutes,
  joinRoutes,
  meetingPageRoutes,
  meetingsRoutes,
  meetingResourceRoutes,
  meetingSocketRoutes,
  recordingListRoutes,
  recordingPageRoutes,
  shareLinkRoutes,
  rsvpRoutes,
  calendarFeedRoutes,
  serviceWorkerRoutes,
  webManifestRoutes,
  offlineRoutes,
  internalSipRoutes,
];

/** The whole web app over `deps`: what main.ts serves and what in-process tests request. */
export function createWebApp(deps: AppDeps): Hono<Env> {
  return createApp(deps, routes);
}
