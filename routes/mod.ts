// Every route module, in the order they are mounted.

import type { Hono } from "hono";
import type { AppDeps, Env } from "../lib/web/types.ts";
import { createApp } from "../lib/web/app.tsx";
import { homeRoutes } from "./home.tsx";
import { islandAssetRoutes, staticAssetRoutes } from "./islands.ts";
import { authRoutes } from "./auth.tsx";
import { accountRoutes } from "./account.tsx";
import { totpRoutes } from "./totp.tsx";
import { tokenRoutes } from "./tokens.tsx";
import { apiRoutes } from "./api.ts";
import { adminRoutes } from "./admin.tsx";
import { devRoutes } from "./dev.tsx";
import { dashboardRoutes } from "./dashboard.tsx";
import { meetingRoutes } from "./meetings.tsx";
import { meetingSocketRoutes } from "./meeting_socket.ts";
import { apiMeetingRoutes } from "./api_meetings.ts";
import { scheduleRoutes } from "./schedule.tsx";
import { calendarRoutes } from "./calendar.ts";
import { apiScheduleRoutes } from "./api_schedule.ts";
import { historyRoutes } from "./history.tsx";
import { notificationRoutes } from "./notifications.tsx";
import { internalSipRoutes } from "./internal/sip.ts";

export const routes: Hono<Env>[] = [
  // Hashed names immutable, plain names revalidated; both in the build's brotli or gzip.
  staticAssetRoutes,
  homeRoutes,
  islandAssetRoutes,
  authRoutes,
  accountRoutes,
  totpRoutes,
  tokenRoutes,
  apiRoutes,
  adminRoutes,
  devRoutes,
  dashboardRoutes,
  meetingRoutes,
  meetingSocketRoutes,
  apiMeetingRoutes,
  historyRoutes,
  scheduleRoutes,
  calendarRoutes,
  apiScheduleRoutes,
  notificationRoutes,
  internalSipRoutes,
];

/** The whole web app over `deps`: what main.ts serves and what in-process tests request. */
export function createWebApp(deps: AppDeps): Hono<Env> {
  return createApp(deps, routes);
}
