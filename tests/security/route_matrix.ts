// The authorization matrix: one row per registered (method, path) of the web app, saying what each
// actor gets. A row names a policy (who the route is for) and any per-actor exceptions; its `call`
// fills the path's parameters with real resources (fresh ones when the request changes them).
//
// To add a row for a new route: copy the nearest row with the same policy, set `method` and `route`
// exactly as Hono registers them (the inventory test prints both), and make `call` build a request
// the allowed actors succeed with. Run tests/security_test.ts: every actor's answer is checked.

import type { Actor, World } from "./world.ts";
import { listApiTokens } from "../../lib/accounts/api_tokens.ts";
import { getUser } from "../../lib/accounts/users.ts";
import { getMeetingByNumber } from "../../lib/meetings/store.ts";
import { listSubscriptions, subscriptionId } from "../../lib/reminders/subscriptions.ts";
import { getSchedule } from "../../lib/scheduling/schedule.ts";
import { activeEntry, getRecording, getRetentionDays, listLinks } from "../../lib/recordings/store.ts";
import { createShareLink } from "../../lib/recordings/sharing.ts";
import { PASSWORD, pushInput } from "./world.ts";

/**
 * What an actor gets. "ok": 2xx, or 3xx anywhere but sign-in; "signin": 401 or a redirect to
 * /signin; "forbidden": 403; "notfound": 404 (a resource that must not be revealed); "invalid": 422
 * (authorized, input refused); "gone": 410 (a used or unknown one-time link); "upgrade": 426 (the
 * socket address asked without a WebSocket upgrade, after the admission check); "unavailable": 503
 * (authorized, but this server has no media gateway).
 */
export type Answer = "ok" | "signin" | "forbidden" | "notfound" | "invalid" | "gone" | "upgrade" | "unavailable";

export type Expectation = Record<Actor, Answer>;

export interface Call {
  path: string;
  form?: Record<string, string>;
  json?: unknown;
  headers?: Record<string, string>;
}

export interface Row {
  method: string;
  route: string;
  expect: Expectation;
  /** The request; the default fills `:meetingId` with the world's meeting and sends no body. */
  call?: (w: World, actor: Actor) => Call | Promise<Call>;
  /** Each actor is minted afresh (the request signs out, changes credentials or deletes the account). */
  freshActors?: boolean;
  /** For "ok": the redirect target must match (a matching /signin target counts as "ok", not "signin"). */
  location?: RegExp;
  /**
   * After a refused request (any answer but "ok", and every CSRF probe): what the request asked for
   * did not happen. Returns what changed, or null.
   */
  intact?: (w: World, call: Call) => Promise<string | null>;
  /** The cookie actor used for the CSRF probe (state-changing rows); the first "ok" one otherwise. */
  csrfActor?: Actor;
}

type Overrides = Partial<Expectation>;

/** A session that outlived its account's disabling gets what the disabled account's old one gets. */
function policy(base: Omit<Expectation, "disabledAfter">, overrides: Overrides): Expectation {
  const merged = { ...base, ...overrides };
  return { ...merged, disabledAfter: overrides.disabledAfter ?? merged.disabled };
}

/** A bearer token of a disabled account is refused before any route runs (401, or sign-in for pages). */
const everyone = (a: Answer, o: Overrides = {}): Expectation =>
  policy({
    anon: a,
    owner: a,
    other: a,
    admin: a,
    disabled: a,
    ownerToken: a,
    otherToken: a,
    adminToken: a,
    disabledToken: "signin",
    guest: a,
    removedGuest: a,
  }, o);

/** Any signed-in account, by cookie or by token (the resource, if any, is the caller's own). */
const account = (o: Overrides = {}): Expectation =>
  everyone("ok", { anon: "signin", disabled: "signin", guest: "signin", removedGuest: "signin", ...o });

/** Pages that change credentials or mint tokens: a browser session only, API tokens get 403. */
const browser = (o: Overrides = {}): Expectation =>
  account({ ownerToken: "forbidden", otherToken: "forbidden", adminToken: "forbidden", ...o });

/** The owner's meeting: its host (by cookie or token); other accounts, admins included, get 403. */
const host = (o: Overrides = {}): Expectation =>
  account({ other: "forbidden", admin: "forbidden", otherToken: "forbidden", adminToken: "forbidden", ...o });

/** Administration: admins only (by cookie or token); other accounts 403. */
const admin = (o: Overrides = {}): Expectation =>
  account({ owner: "forbidden", other: "forbidden", ownerToken: "forbidden", otherToken: "forbidden", ...o });

/** The owner's own resource (a token, a device): others who pass `base` are told it does not exist. */
const owned = (base: (o?: Overrides) => Expectation, o: Overrides = {}): Expectation => {
  const b = base();
  const hidden: Overrides = {};
  for (const a of ["other", "admin", "otherToken", "adminToken"] as const) if (b[a] === "ok") hidden[a] = "notfound";
  return { ...b, ...hidden, ...o };
};

const m = (w: World) => w.meeting.meetingId;

/** The recording id a recordings path names. */
const recordingOf = (call: Call) => segment(call, "recordings");
const notRecording = async (w: World) => (await activeEntry(w.kv, m(w))).value ? "the meeting is being recorded" : null;
const stillRecording = async (w: World, call: Call) =>
  (await activeEntry(w.kv, segment(call, "meetings"))).value ? null : "the recording stopped";
const titleKept = async (w: World, call: Call) =>
  (await getRecording(w.kv, recordingOf(call)))?.title === "Renamed" ? "the recording was renamed" : null;
const recordingKept = async (w: World, call: Call) =>
  (await getRecording(w.kv, recordingOf(call))) ? null : "the recording was deleted";
const fresh = async (w: World) => (await w.freshMeeting()).meetingId;
/** A ready recording's page path (`/recordings/<id>` + `rest`). */
const recordingPath = async (w: World, rest = "") => `/recordings/${(await w.freshRecording("ready")).id}${rest}`;
const notShared = async (w: World, call: Call) =>
  (await getRecording(w.kv, recordingOf(call)))?.sharedWithParticipants ? "the recording was shared" : null;
const noLinks = async (w: World, call: Call) =>
  (await listLinks(w.kv, recordingOf(call))).length ? "a share link was made" : null;
const linkKept = async (w: World, call: Call) =>
  (await listLinks(w.kv, recordingOf(call))).length ? null : "the share link was revoked";
/** A share link of a new ready recording of the owner (its token), with or without a passcode. */
const shareLink = async (w: World, passcode = "") => {
  const rec = await w.freshRecording("ready");
  const actor = { userId: w.users.owner.id, email: w.users.owner.email };
  return { rec, ...(await createShareLink(w.kv, rec, { days: 7, passcode }, actor)) };
};

export const ROUTE_MATRIX: Row[] = [
  // ---- public pages and assets
  { method: "GET", route: "/static/:file", expect: everyone("ok"), call: () => ({ path: "/static/app.css" }) },
  { method: "GET", route: "/", expect: everyone("ok") },
  { method: "GET", route: "/healthz", expect: everyone("ok") },
  {
    method: "GET",
    route: "/_islands/:file",
    expect: everyone("notfound"),
    call: () => ({ path: "/_islands/NoSuchIsland-000000000000.js" }),
  },
  { method: "GET", route: "/sw.js", expect: everyone("ok") },
  { method: "GET", route: "/manifest.webmanifest", expect: everyone("ok") },
  { method: "GET", route: "/offline", expect: everyone("ok") },
  { method: "GET", route: "/join", expect: everyone("ok") },

  // ---- sign-up, sign-in, reset, verification (public; the one-time links are their own authority)
  { method: "GET", route: "/signup", expect: everyone("ok") },
  { method: "POST", route: "/signup", expect: everyone("invalid"), call: () => ({ path: "/signup", form: {} }) },
  { method: "GET", route: "/verify/:token", expect: everyone("gone"), call: () => ({ path: "/verify/not-a-token" }) },
  { method: "GET", route: "/signin", expect: everyone("ok") },
  { method: "POST", route: "/signin", expect: everyone("invalid"), call: () => ({ path: "/signin", form: {} }) },
  // Without a pending sign-in the second-factor step sends people back to /signin.
  { method: "GET", route: "/signin/totp", expect: account() },
  { method: "POST", route: "/signin/totp", expect: account(), call: () => ({ path: "/signin/totp", form: {} }) },
  { method: "POST", route: "/signout", expect: everyone("ok"), freshActors: true, location: /^\/$/ },
  {
    method: "POST",
    route: "/language",
    expect: everyone("ok"),
    call: () => ({ path: "/language", form: { locale: "de", back: "/" } }),
    location: /^\/$/,
  },
  // The user guide is public: every actor reads it, guests and signed-out people included.
  { method: "GET", route: "/help", expect: everyone("ok") },
  { method: "GET", route: "/help/:topic", expect: everyone("ok"), call: () => ({ path: "/help/joining" }) },
  {
    method: "GET",
    route: "/help/images/:name",
    expect: everyone("ok"),
    call: () => ({ path: "/help/images/prejoin.png" }),
  },
  { method: "GET", route: "/reset", expect: everyone("ok") },
  { method: "POST", route: "/reset", expect: everyone("invalid"), call: () => ({ path: "/reset", form: {} }) },
  { method: "GET", route: "/reset/:token", expect: everyone("gone"), call: () => ({ path: "/reset/not-a-token" }) },
  {
    method: "POST",
    route: "/reset/:token",
    expect: everyone("gone"),
    call: () => ({ path: "/reset/not-a-token", form: { password: "another long password 99" } }),
  },

  // ---- the account pages (browser session only)
  { method: "GET", route: "/account", expect: browser() },
  {
    method: "POST",
    route: "/account/profile",
    expect: browser(),
    call: (_w, a) => ({ path: "/account/profile", form: { name: `Renamed ${a}`, timeZone: "UTC" } }),
    freshActors: true,
  },
  {
    method: "POST",
    route: "/account/email",
    expect: browser(),
    call: (w) => ({ path: "/account/email", form: { email: `moved${w.next()}@example.org`, password: PASSWORD } }),
    freshActors: true,
  },
  {
    method: "GET",
    route: "/account/email/confirm/:token",
    expect: everyone("gone"),
    call: () => ({ path: "/account/email/confirm/not-a-token" }),
  },
  { method: "GET", route: "/account/verify", expect: browser() },
  { method: "POST", route: "/account/verify", expect: browser(), call: () => ({ path: "/account/verify", form: {} }) },
  {
    method: "POST",
    route: "/account/password",
    expect: browser(),
    call: () => ({ path: "/account/password", form: { current: PASSWORD, password: "a different long password 7" } }),
    freshActors: true,
  },
  {
    method: "POST",
    route: "/account/signout-everywhere",
    expect: browser(),
    call: () => ({ path: "/account/signout-everywhere", form: {} }),
    freshActors: true,
    location: /^\/signin\?notice=signed-out-everywhere$/,
  },
  {
    method: "POST",
    route: "/account/delete",
    expect: browser(),
    call: () => ({ path: "/account/delete", form: { password: PASSWORD } }),
    freshActors: true,
  },
  { method: "GET", route: "/account/totp", expect: browser() },
  { method: "POST", route: "/account/totp", expect: browser(), freshActors: true, call: () => tidy("/account/totp") },
  {
    method: "POST",
    route: "/account/totp/confirm",
    expect: browser(),
    freshActors: true,
    call: () => tidy("/account/totp/confirm"),
  },
  {
    method: "POST",
    route: "/account/totp/disable",
    expect: browser(),
    freshActors: true,
    call: () => tidy("/account/totp/disable"),
  },
  {
    method: "POST",
    route: "/account/totp/recovery-codes",
    expect: browser(),
    freshActors: true,
    call: () => tidy("/account/totp/recovery-codes"),
  },
  { method: "GET", route: "/account/tokens", expect: browser() },
  {
    method: "POST",
    route: "/account/tokens",
    expect: browser(),
    call: () => ({ path: "/account/tokens", form: { name: "Matrix token" } }),
  },
  {
    method: "POST",
    route: "/account/tokens/:id/revoke",
    intact: tokenKept,
    expect: owned(browser),
    call: async (w) => ({ path: `/account/tokens/${(await w.freshToken()).id}/revoke`, form: {} }),
    location: /^\/account\/tokens/,
    csrfActor: "owner",
  },
  { method: "GET", route: "/account/calendar", expect: browser() },
  {
    method: "POST",
    route: "/account/calendar/regenerate",
    expect: browser(),
    freshActors: true,
    call: () => tidy("/account/calendar/regenerate"),
  },
  {
    method: "POST",
    route: "/account/calendar/revoke",
    expect: browser(),
    freshActors: true,
    call: () => tidy("/account/calendar/revoke"),
  },
  { method: "GET", route: "/account/notifications", expect: browser() },
  {
    method: "POST",
    route: "/account/notifications/reminders",
    expect: browser(),
    freshActors: true,
    call: () => ({ path: "/account/notifications/reminders", form: { minutes: "15" } }),
  },
  { method: "GET", route: "/account/notifications/devices", expect: browser() },
  {
    method: "DELETE",
    route: "/account/notifications/devices/:id",
    intact: deviceKept,
    expect: owned(browser),
    call: async (w) => ({ path: `/account/notifications/devices/${(await w.freshDevice()).id}` }),
    csrfActor: "owner",
  },

  // ---- the JSON API (cookie or token)
  { method: "GET", route: "/api/v1/me", expect: account() },
  {
    method: "PATCH",
    route: "/api/v1/me",
    expect: account(),
    freshActors: true,
    call: () => ({ path: "/api/v1/me", json: { reminderMinutes: [15] } }),
  },
  {
    method: "DELETE",
    route: "/api/v1/tokens/:id",
    intact: tokenKept,
    expect: owned(account),
    call: async (w) => ({ path: `/api/v1/tokens/${(await w.freshToken()).id}` }),
  },
  { method: "GET", route: "/api/v1/push/vapid-public-key", expect: everyone("ok") },
  { method: "GET", route: "/api/v1/push/subscriptions", expect: account() },
  {
    method: "POST",
    route: "/api/v1/push/subscriptions",
    expect: account(),
    freshActors: true,
    call: async (w) => ({
      path: "/api/v1/push/subscriptions",
      json: await pushInput(`https://93.184.216.34/push/${w.next()}`),
    }),
  },
  {
    method: "DELETE",
    route: "/api/v1/push/subscriptions",
    intact: deviceKept,
    expect: owned(account),
    call: async (w) => ({ path: "/api/v1/push/subscriptions", json: { endpoint: (await w.freshDevice()).endpoint } }),
  },
  {
    method: "POST",
    route: "/api/v1/meetings",
    expect: account(),
    call: () => ({ path: "/api/v1/meetings", json: { title: "Made in the matrix" } }),
  },
  { method: "GET", route: "/api/v1/meetings/:meetingId", expect: host() },
  {
    method: "POST",
    route: "/api/v1/meetings/:meetingId/end",
    intact: meetingOpen,
    expect: host(),
    call: async (w) => ({ path: `/api/v1/meetings/${await fresh(w)}/end` }),
  },
  { method: "GET", route: "/api/v1/meetings/:meetingId/attendance", expect: host() },
  // Recording: hosts may (the meeting's default setting); this server has no gateway, so the host
  // gets 503 after every check, and nothing is written.
  {
    method: "POST",
    route: "/api/v1/meetings/:meetingId/recording",
    expect: host({ owner: "unavailable", ownerToken: "unavailable" }),
    intact: notRecording,
  },
  {
    method: "DELETE",
    route: "/api/v1/meetings/:meetingId/recording",
    expect: host({ owner: "unavailable", ownerToken: "unavailable" }),
    call: async (w) => ({ path: `/api/v1/meetings/${(await w.freshRecording("recording")).meetingId}/recording` }),
    intact: stillRecording,
  },
  // A recording is its meeting's hosts': everyone else is told it does not exist.
  { method: "GET", route: "/api/v1/recordings", expect: account() },
  {
    method: "GET",
    route: "/api/v1/recordings/:recordingId",
    expect: owned(account),
    call: async (w) => ({ path: `/api/v1/recordings/${(await w.freshRecording("ready")).id}` }),
  },
  {
    method: "PATCH",
    route: "/api/v1/recordings/:recordingId",
    expect: owned(account),
    call: async (w) => ({
      path: `/api/v1/recordings/${(await w.freshRecording("ready")).id}`,
      json: { title: "Renamed" },
    }),
    intact: titleKept,
  },
  {
    method: "DELETE",
    route: "/api/v1/recordings/:recordingId",
    expect: owned(account),
    call: async (w) => ({ path: `/api/v1/recordings/${(await w.freshRecording("ready")).id}` }),
    intact: recordingKept,
  },
  {
    method: "GET",
    route: "/api/v1/recordings/:recordingId/file",
    expect: owned(account, { owner: "unavailable", ownerToken: "unavailable" }),
    call: async (w) => ({ path: `/api/v1/recordings/${(await w.freshRecording("ready")).id}/file` }),
  },
  // The Recordings pages: the owner's; everyone else is told a recording does not exist (the
  // meeting's participants only once it is shared with them, which the matrix's actors are not).
  { method: "GET", route: "/recordings", expect: account() },
  {
    method: "GET",
    route: "/recordings/:recordingId",
    expect: owned(account),
    call: async (w) => ({ path: await recordingPath(w) }),
  },
  {
    method: "GET",
    route: "/recordings/:recordingId/file",
    expect: owned(account, { owner: "unavailable", ownerToken: "unavailable" }),
    call: async (w) => ({ path: await recordingPath(w, "/file") }),
  },
  {
    method: "POST",
    route: "/recordings/:recordingId/rename",
    expect: owned(account),
    call: async (w) => ({ path: await recordingPath(w, "/rename"), form: { title: "Renamed" } }),
    intact: titleKept,
  },
  {
    method: "POST",
    route: "/recordings/:recordingId/share",
    expect: owned(account),
    call: async (w) => ({ path: await recordingPath(w, "/share"), form: { participants: "on" } }),
    intact: notShared,
  },
  {
    method: "POST",
    route: "/recordings/:recordingId/links",
    expect: owned(account),
    call: async (w) => ({ path: await recordingPath(w, "/links"), form: { days: "7", passcode: "" } }),
    intact: noLinks,
  },
  {
    method: "POST",
    route: "/recordings/:recordingId/links/:linkId/revoke",
    expect: owned(account),
    call: async (w) => {
      const { rec, link } = await shareLink(w);
      return { path: `/recordings/${rec.id}/links/${link.id}/revoke`, form: {} };
    },
    intact: linkKept,
  },
  {
    method: "GET",
    route: "/recordings/:recordingId/delete",
    expect: owned(account),
    call: async (w) => ({ path: await recordingPath(w, "/delete") }),
  },
  {
    method: "POST",
    route: "/recordings/:recordingId/delete",
    expect: owned(account),
    call: async (w) => ({ path: await recordingPath(w, "/delete"), form: {} }),
    intact: recordingKept,
  },
  // A share link is its own authority: whoever has it watches (the file: 503, no gateway here);
  // a wrong passcode is refused for everyone.
  {
    method: "GET",
    route: "/r/:token",
    expect: everyone("ok"),
    call: async (w) => ({ path: `/r/${(await shareLink(w)).token}` }),
  },
  {
    method: "POST",
    route: "/r/:token",
    expect: everyone("invalid"),
    call: async (w) => ({
      path: `/r/${(await shareLink(w, "right passcode")).token}`,
      form: { passcode: "wrong one" },
    }),
  },
  {
    method: "GET",
    route: "/r/:token/file",
    expect: everyone("unavailable"),
    call: async (w) => ({ path: `/r/${(await shareLink(w)).token}/file` }),
  },
  {
    method: "PATCH",
    route: "/api/v1/meetings/:meetingId",
    expect: host(),
    call: (w) => ({ path: `/api/v1/meetings/${w.scheduled.meetingId}`, json: { description: "Agenda" } }),
  },
  {
    method: "DELETE",
    route: "/api/v1/meetings/:meetingId",
    intact: scheduleUntouched,
    expect: host(),
    call: async (w) => ({ path: `/api/v1/meetings/${(await w.freshScheduled()).meetingId}` }),
  },
  {
    method: "PATCH",
    route: "/api/v1/meetings/:meetingId/occurrences/:start",
    intact: scheduleUntouched,
    expect: host(),
    call: async (w) => {
      const s = await w.freshScheduled();
      return { path: `/api/v1/meetings/${s.meetingId}/occurrences/${s.start}`, json: { durationMinutes: 45 } };
    },
  },
  {
    method: "DELETE",
    route: "/api/v1/meetings/:meetingId/occurrences/:start",
    intact: scheduleUntouched,
    expect: host(),
    call: async (w) => {
      const s = await w.freshScheduled();
      return { path: `/api/v1/meetings/${s.meetingId}/occurrences/${s.start}` };
    },
  },
  { method: "GET", route: "/api/v1/calendar", expect: account() },

  // ---- administration
  { method: "GET", route: "/admin", expect: admin(), location: /^\/admin\/users$/ },
  { method: "GET", route: "/admin/users", expect: admin() },
  {
    method: "GET",
    route: "/admin/users/:id",
    expect: admin(),
    call: (w) => ({ path: `/admin/users/${w.users.other.id}` }),
  },
  {
    method: "POST",
    route: "/admin/users/:id/role",
    intact: accountUntouched,
    expect: admin(),
    call: async (w) => ({ path: `/admin/users/${(await w.account("user")).id}/role`, form: { role: "admin" } }),
  },
  {
    method: "POST",
    route: "/admin/users/:id/disable",
    intact: accountUntouched,
    expect: admin(),
    call: async (w) => ({ path: `/admin/users/${(await w.account("user")).id}/disable`, form: {} }),
  },
  {
    method: "POST",
    route: "/admin/users/:id/enable",
    expect: admin(),
    call: async (w) => ({ path: `/admin/users/${(await w.account("user")).id}/enable`, form: {} }),
  },
  {
    method: "POST",
    route: "/admin/users/:id/reset",
    intact: accountUntouched,
    expect: admin(),
    call: async (w) => ({ path: `/admin/users/${(await w.account("user")).id}/reset`, form: {} }),
  },
  {
    method: "POST",
    route: "/admin/users/:id/delete",
    intact: accountUntouched,
    expect: admin(),
    call: async (w) => {
      const target = await w.account("user");
      return { path: `/admin/users/${target.id}/delete`, form: { confirm: target.email } };
    },
  },
  {
    method: "POST",
    route: "/admin/users/:id/recordings",
    expect: admin(),
    call: async (w) => ({ path: `/admin/users/${(await w.account("user")).id}/recordings`, form: { days: "5" } }),
    intact: async (w, call) =>
      (await getRetentionDays(w.kv, segment(call, "users"))) === null ? null : "the retention was changed",
  },
  { method: "GET", route: "/admin/audit", expect: admin() },

  // ---- the development outbox: not there outside development
  { method: "GET", route: "/dev/outbox.json", expect: everyone("notfound") },
  { method: "GET", route: "/dev/outbox", expect: everyone("notfound") },
  {
    method: "GET",
    route: "/dev/outbox/:file",
    expect: everyone("notfound"),
    call: () => ({ path: "/dev/outbox/x.eml" }),
  },
  { method: "POST", route: "/dev/outbox/clear", expect: everyone("notfound"), call: () => tidy("/dev/outbox/clear") },

  // ---- dashboard, meetings, joining
  { method: "GET", route: "/dashboard", expect: account() },
  {
    method: "POST",
    route: "/join",
    expect: everyone("ok", { removedGuest: "forbidden" }),
    // A fresh meeting each time, except the removed guest's attempt at the meeting they were removed from.
    call: async (w, a) => {
      const meeting = a === "removedGuest" ? w.meeting : await w.freshMeeting();
      return { path: "/join", form: { meetingId: meeting.meetingId, passcode: meeting.passcode, name: "Joiner" } };
    },
    location: /^\/m\/\d{10}$/,
  },
  {
    method: "GET",
    route: "/m/:meetingId",
    expect: everyone("ok", { removedGuest: "forbidden" }),
  },
  {
    method: "POST",
    route: "/m/:meetingId/join",
    expect: everyone("ok", { removedGuest: "forbidden" }),
    call: async (w, a) => {
      const meeting = a === "removedGuest" ? w.meeting : await w.freshMeeting();
      return { path: `/m/${meeting.meetingId}/join`, form: { passcode: meeting.passcode, name: "Joiner" } };
    },
    location: /^\/m\/\d{10}$/,
  },
  {
    method: "POST",
    route: "/m/:meetingId/end",
    intact: meetingOpen,
    expect: host(),
    call: async (w) => ({ path: `/m/${await fresh(w)}/end`, form: {} }),
    location: /^\/dashboard$/,
  },
  { method: "GET", route: "/meetings", expect: account() },
  {
    method: "POST",
    route: "/meetings",
    expect: account(),
    call: () => tidy("/meetings"),
    location: /^\/m\/\d{10}\?pwd=/,
  },
  { method: "GET", route: "/meetings/new", expect: account() },
  {
    method: "POST",
    route: "/meetings/new",
    expect: account({
      owner: "invalid",
      other: "invalid",
      admin: "invalid",
      ownerToken: "invalid",
      otherToken: "invalid",
      adminToken: "invalid",
    }),
    call: () => ({ path: "/meetings/new", form: { title: "" } }),
  },
  { method: "GET", route: "/meetings/:meetingId", expect: host() },
  { method: "GET", route: "/meetings/:meetingId/transcript.txt", expect: host() },
  { method: "GET", route: "/meetings/:meetingId/attendance.csv", expect: host() },
  {
    method: "GET",
    route: "/meetings/:meetingId/schedule",
    expect: host(),
    call: (w) => ({ path: `/meetings/${w.scheduled.meetingId}/schedule` }),
  },
  {
    method: "POST",
    route: "/meetings/:meetingId/schedule",
    expect: host({ owner: "invalid", ownerToken: "invalid" }),
    call: (w) => ({ path: `/meetings/${w.scheduled.meetingId}/schedule`, form: { title: "" } }),
  },
  {
    method: "GET",
    route: "/meetings/:meetingId/schedule/cancel",
    expect: host(),
    call: (w) => ({ path: `/meetings/${w.scheduled.meetingId}/schedule/cancel` }),
  },
  {
    method: "POST",
    route: "/meetings/:meetingId/schedule/cancel",
    intact: scheduleUntouched,
    expect: host(),
    call: async (w) => ({ path: `/meetings/${(await w.freshScheduled()).meetingId}/schedule/cancel`, form: {} }),
  },
  {
    method: "POST",
    route: "/meetings/:meetingId/occurrences/:start/cancel",
    intact: scheduleUntouched,
    expect: host(),
    call: async (w) => {
      const s = await w.freshScheduled();
      return { path: `/meetings/${s.meetingId}/occurrences/${s.start}/cancel`, form: {} };
    },
  },
  {
    method: "POST",
    route: "/meetings/:meetingId/occurrences/:start",
    intact: scheduleUntouched,
    expect: host(),
    call: async (w) => {
      const s = await w.freshScheduled();
      return {
        path: `/meetings/${s.meetingId}/occurrences/${s.start}`,
        form: { startsAt: s.start.slice(0, 10) + "T10:00", durationMinutes: "45" },
      };
    },
  },
  {
    method: "GET",
    route: "/meetings/:meetingId/invite.ics",
    // Someone neither hosting nor invited is told there is no such scheduled meeting.
    expect: host({ other: "notfound", admin: "notfound", otherToken: "notfound", adminToken: "notfound" }),
    call: (w) => ({ path: `/meetings/${w.scheduled.meetingId}/invite.ics` }),
  },
  // The socket's address over plain HTTP: admission is checked first (403), then the upgrade (426).
  {
    method: "GET",
    route: "/meetings/:meetingId/ws",
    expect: everyone("forbidden", { owner: "upgrade", guest: "upgrade", disabledToken: "signin" }),
  },
  {
    method: "POST",
    route: "/meetings/:meetingId/media",
    expect: everyone("forbidden", { owner: "unavailable", guest: "unavailable", disabledToken: "signin" }),
    call: (w) => ({ path: `/meetings/${m(w)}/media`, json: { participantId: "someone" } }),
    csrfActor: "guest",
  },

  // ---- invitation answers and calendar feeds: the link is the authority, whoever follows it
  { method: "GET", route: "/rsvp/:token", expect: everyone("ok"), call: (w) => ({ path: `/rsvp/${w.rsvpToken}` }) },
  {
    method: "POST",
    route: "/rsvp/:token",
    expect: everyone("ok"),
    call: (w) => ({ path: `/rsvp/${w.rsvpToken}`, form: { answer: "accept" } }),
    csrfActor: "anon",
  },
  {
    method: "GET",
    route: "/calendar/:file",
    expect: everyone("ok"),
    call: async (w) => ({ path: `/calendar/${await w.feedFile()}` }),
  },

  // ---- the gateway → web API: only requests signed with the shared secret (none of these are)
  ...[
    ["POST", "/internal/sip/resolve"],
    ["POST", "/internal/sip/calls"],
    ["POST", "/internal/sip/calls/:callId/state"],
    ["DELETE", "/internal/sip/calls/:callId"],
    ["POST", "/internal/sip/calls/:callId/progress"],
  ].map(([method, route]): Row => ({
    method,
    route,
    expect: everyone("signin"),
    call: () => ({ path: route.replace(":callId", "call-1"), json: {} }),
  })),
];

/** The path segment after `after` (the resource a row's call named). */
function segment(call: Call, after: string): string {
  const parts = call.path.split("?")[0].split("/");
  return parts[parts.indexOf(after) + 1];
}

async function tokenKept(w: World, call: Call): Promise<string | null> {
  const id = segment(call, "tokens");
  return (await listApiTokens(w.kv, w.users.owner.id)).some((t) => t.id === id) ? null : `token ${id} was revoked`;
}

async function deviceKept(w: World, call: Call): Promise<string | null> {
  const id = call.json ? await subscriptionId((call.json as { endpoint: string }).endpoint) : segment(call, "devices");
  return (await listSubscriptions(w.kv, w.users.owner.id)).some((d) => d.id === id) ? null : `device ${id} was removed`;
}

async function meetingOpen(w: World, call: Call): Promise<string | null> {
  const id = segment(call, call.path.startsWith("/m/") ? "m" : "meetings");
  const meeting = await getMeetingByNumber(w.kv, id);
  return meeting?.status === "ended" ? `meeting ${id} was ended` : null;
}

async function scheduleUntouched(w: World, call: Call): Promise<string | null> {
  const id = segment(call, "meetings");
  const schedule = await getSchedule(w.kv, id);
  if (!schedule) return `the schedule of ${id} is gone`;
  if (schedule.cancelledAt) return `the schedule of ${id} was cancelled`;
  const { cancelled, overrides } = schedule.exceptions;
  return cancelled.length || Object.keys(overrides).length ? `an occurrence of ${id} was changed` : null;
}

async function accountUntouched(w: World, call: Call): Promise<string | null> {
  const id = segment(call, "users");
  const user = await getUser(w.kv, id);
  if (!user) return `account ${id} was deleted`;
  if (user.disabled) return `account ${id} was disabled`;
  if (user.role !== "user") return `account ${id} became ${user.role}`;
  return w.t.mailer.sent.some((m) => m.to === user.email) ? `a reset was mailed to ${user.email}` : null;
}

/** A state-changing request with no body. */
function tidy(path: string): Call {
  return { path, form: {} };
}

/** Fills `:meetingId` (the world's meeting) for rows without their own call. */
export function defaultCall(w: World, route: string): Call {
  return { path: route.replace(":meetingId", w.meeting.meetingId) };
}
