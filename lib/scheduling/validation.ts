// Input rules for scheduling, shared by the web form and the API, so both say the same thing
// about the same field: dates, durations, time zones, recurrences, invitees. Their messages are
// message keys with values (lib/i18n/message.ts, keys in lib/i18n/areas/meetings.ts): the pages say
// them in the page's language, the API in English.

import { z } from "zod";
import { buildRrule, RecurrenceError, validateRrule, WEEKDAYS } from "./recurrence.ts";
import type { RepeatChoice, Weekday } from "./recurrence.ts";
import { MAX_INVITEES } from "./schedule.ts";
import { meetingSettingsSchema } from "../meetings/settings.ts";
import { formatLocal, isValidTimeZone, offsetMinutes, parseLocal, toLocalWithOffset, toUtcMs } from "./tz.ts";
import type { LocalTime } from "./tz.ts";
import { ENGLISH, summarizeRecurrence } from "./summary.ts";
import type { SummaryCatalog } from "./summary.ts";
import { cleanLine, cleanText } from "../common/text.ts";
import { message } from "../i18n/message.ts";

/** Longest meeting: 24 hours. */
export const MAX_DURATION_MINUTES = 24 * 60;
/** A meeting may be planned at most this far ahead. */
const MAX_LEAD_YEARS = 5;
/** Starting a little in the past is allowed (a form filled in slowly), not more. */
const PAST_SLACK_MS = 60 * 60_000;

const emailRule = z.string().email();
const STRING = message("meetings.error.string");
const atMost = (max: number) => message("meetings.error.maxChars", { max });

/** A meeting title: one line (cleanLine), trimmed, 1–200 characters. Forms and the API share it. */
export const titleRule = z.string({ error: STRING }).overwrite(cleanLine).trim()
  .min(1, message("meetings.error.title")).max(200, atMost(200));

/** A meeting description: LF-only lines (cleanText), at most 5000 characters. */
export const descriptionRule = z.string({ error: STRING }).overwrite(cleanText).max(5000, atMost(5000));

/** Splits a comma/semicolon/newline separated list into lower-cased, de-duplicated addresses, or explains the first problem. */
export function parseInvitees(
  input: string | string[],
): { ok: true; emails: string[] } | { ok: false; message: string } {
  const raw = (Array.isArray(input) ? input : input.split(/[\s,;]+/)).map((s) => s.trim().toLowerCase()).filter(
    Boolean,
  );
  const emails = [...new Set(raw)];
  if (emails.length > MAX_INVITEES) {
    return { ok: false, message: message("meetings.error.inviteesMany", { max: MAX_INVITEES, count: emails.length }) };
  }
  for (const e of emails) {
    if (e.length > 254 || !emailRule.safeParse(e).success) {
      return { ok: false, message: message("meetings.error.inviteeEmail", { email: e.slice(0, 60) }) };
    }
  }
  if (emails.join("").length > 20_000) return { ok: false, message: message("meetings.error.inviteesLong") };
  return { ok: true, emails };
}

export const timeZoneRule = z.string({ error: message("meetings.error.timeZone") }).trim().refine(
  isValidTimeZone,
  message("meetings.error.timeZoneUnknown"),
);

export const durationRule = z.coerce.number({ error: message("meetings.error.duration") })
  .int(message("meetings.error.wholeMinutes"))
  .positive(message("meetings.error.durationPositive"))
  .max(MAX_DURATION_MINUTES, message("meetings.error.durationMax"));

/** Checks a wall-clock start: a real date and time, not in the past, at most five years ahead; the message or null. */
export function checkStart(startsAt: string, zone: string, now = Date.now()): string | null {
  const t = parseLocal(startsAt);
  if (!t) return message("meetings.error.start");
  if (!isValidTimeZone(zone)) return null; // the time zone field reports this
  const ms = toUtcMs(zone, t);
  if (ms < now - PAST_SLACK_MS) return message("meetings.error.startPast");
  if (ms > now + MAX_LEAD_YEARS * 366 * 86_400_000) {
    return message("meetings.error.startFar", { years: MAX_LEAD_YEARS });
  }
  return null;
}

/** What a valid schedule form or API body becomes. */
export interface ScheduleInput {
  title: string;
  description: string;
  startsAt: string;
  timeZone: string;
  durationMinutes: number;
  /** undefined only from the edit form's "keep the current repetition". */
  rrule: string | null | undefined;
  invitees: string[];
  settings: { lobby: boolean; guestsAllowed: boolean };
}

/** The lengths the form offers (minutes); the server takes any whole number up to 24 hours. */
export const DURATION_CHOICES = [15, 30, 45, 60, 90, 120, 180, 240, 480];

/**
 * The form's first suggestion for a start: the next full half hour on the wall clock of `zone`
 * at least a minute after `nowMs` (zones a quarter hour off UTC round on their own clock).
 */
export function defaultStart(zone: string, nowMs = Date.now()): LocalTime {
  const offset = offsetMinutes(zone, nowMs);
  const wall = Math.ceil((nowMs + offset * 60_000 + 60_000) / 1_800_000) * 1_800_000;
  return toLocalWithOffset(wall - offset * 60_000, offset);
}

const formBase = z.object({
  title: titleRule,
  description: descriptionRule.default(""),
  // What <input type="date"> and <input type="time"> send, and what a person types without them.
  // A field left out says what it wants too (zod's own "Invalid input" is English only).
  date: z.string({ error: message("meetings.error.date") }).trim().regex(
    /^\d{4}-\d{2}-\d{2}$/,
    message("meetings.error.date"),
  ),
  time: z.string({ error: message("meetings.error.time") }).trim()
    .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, message("meetings.error.time"))
    .transform((t) => t.slice(0, 5)),
  timeZone: timeZoneRule,
  duration: durationRule,
  repeat: z.enum(["keep", "none", "daily", "weekdays", "weekly", "monthly"], {
    error: message("meetings.error.repeat"),
  }),
  ends: z.enum(["never", "until", "count"], { error: message("meetings.error.ends") }).optional(),
  until: z.string().trim().optional(),
  count: z.string().trim().optional(),
  invitees: z.string().max(30_000, message("meetings.error.inviteesLong")).default(""),
  lobby: z.string().optional(),
  guestsAllowed: z.string().optional(),
}).passthrough();

/**
 * The schedule form (`/meetings/new`, the edit form): field values in, a ScheduleInput out, or one
 * message per field. A repeating meeting never ends, or ends (date or count) within five years. The edit form
 * passes the series' current start (which may be past) and allows "keep" for the repetition.
 */
export function makeScheduleFormSchema(editing?: { startsAt: string }) {
  return formBase.transform((v, ctx): ScheduleInput => {
    const startsAt = `${v.date}T${v.time}:00`;
    if (v.repeat === "keep" && !editing) {
      ctx.addIssue({ code: "custom", path: ["repeat"], message: message("meetings.error.repeat") });
      return z.NEVER;
    }
    const startProblem = editing?.startsAt === startsAt ? null : checkStart(startsAt, v.timeZone);
    if (startProblem) ctx.addIssue({ code: "custom", path: ["date"], message: startProblem });
    const invitees = parseInvitees(v.invitees);
    if (!invitees.ok) ctx.addIssue({ code: "custom", path: ["invitees"], message: invitees.message });
    let rrule: string | null | undefined = v.repeat === "keep" ? undefined : null;
    if (!startProblem && v.repeat !== "none" && v.repeat !== "keep") {
      const start = parseLocal(startsAt)!;
      const read = readRepeat(v, start);
      if ("field" in read) {
        ctx.addIssue({ code: "custom", path: [read.field], message: read.message });
        return z.NEVER;
      }
      try {
        rrule = buildRrule(read.choice, start, v.timeZone);
      } catch (err) {
        if (!(err instanceof RecurrenceError)) throw err;
        ctx.addIssue({ code: "custom", path: [v.ends === "count" ? "count" : "until"], message: err.message });
        return z.NEVER;
      }
    }
    if (startProblem || !invitees.ok) return z.NEVER;
    return {
      title: v.title,
      description: v.description,
      startsAt,
      timeZone: v.timeZone,
      durationMinutes: v.duration,
      rrule,
      invitees: invitees.emails,
      settings: { lobby: v.lobby !== undefined, guestsAllowed: v.guestsAllowed !== undefined },
    };
  });
}

export const scheduleFormSchema = makeScheduleFormSchema();

type RepeatFields = {
  repeat: string;
  ends?: string;
  until?: string;
  count?: string;
  [day: string]: unknown;
};

/**
 * The repetition the form's fields choose for a series starting at `start`, or the field to
 * blame and what to say. No end chosen (or "never") means the series never ends.
 */
function readRepeat(
  v: RepeatFields,
  start: LocalTime,
): { choice: RepeatChoice } | { field: string; message: string } {
  const days = WEEKDAYS.filter((d) => v[`day_${d}`] !== undefined) as Weekday[];
  const choice: RepeatChoice = { kind: v.repeat as RepeatChoice["kind"], days };
  if (v.ends === "count") {
    const n = Number(v.count);
    if (!v.count || !Number.isInteger(n) || n < 1) {
      return { field: "count", message: message("meetings.error.count") };
    }
    choice.count = n;
  } else if (v.ends === "until") {
    if (!v.until || !/^\d{4}-\d{2}-\d{2}$/.test(v.until) || !parseLocal(`${v.until}T00:00`)) {
      return { field: "until", message: message("meetings.error.until") };
    }
    choice.until = v.until;
  }
  if (v.repeat === "weekly" && days.length && !days.includes(weekday(start))) {
    return { field: "days", message: message("meetings.error.days") };
  }
  if (v.repeat === "weekdays" && ["SA", "SU"].includes(weekday(start))) {
    return { field: "date", message: message("meetings.error.weekdayStart") };
  }
  return { choice };
}

/**
 * What the form's repetition fields say, in words ("Every Tuesday at 09:00, New York time"), or
 * null while they do not make a valid rule (the fields' own messages say why on submit).
 */
export function repeatSummary(
  values: Record<string, string | undefined>,
  cat: SummaryCatalog = ENGLISH,
): string | null {
  const repeat = values.repeat ?? "none";
  const zone = values.timeZone ?? "";
  const start = parseLocal(`${values.date ?? ""}T${(values.time ?? "").slice(0, 5)}`);
  if (!start || !isValidTimeZone(zone) || repeat === "keep") return null;
  const startsAt = formatLocal(start);
  if (repeat === "none") return summarizeRecurrence({ startsAt, timeZone: zone, rrule: null }, cat);
  if (!["daily", "weekdays", "weekly", "monthly"].includes(repeat)) return null;
  const read = readRepeat({ ...values, repeat }, start);
  if ("field" in read) return null;
  try {
    return summarizeRecurrence({ startsAt, timeZone: zone, rrule: buildRrule(read.choice, start, zone) }, cat);
  } catch (err) {
    if (err instanceof RecurrenceError) return null;
    throw err;
  }
}

function weekday(t: { year: number; month: number; day: number }): Weekday {
  return WEEKDAYS[(new Date(Date.UTC(t.year, t.month - 1, t.day)).getUTCDay() + 6) % 7];
}

const localStart = z.string({ error: message("meetings.error.localStart") }).trim();

/** Checks startsAt and recurrence together (the rule is read in the start's zone) and canonicalizes both. */
function refineTiming(
  v: { startsAt?: string; timeZone?: string; recurrence?: string | null },
  ctx: z.RefinementCtx,
  current?: { startsAt: string; timeZone: string },
): { startsAt?: string; rrule?: string | null } {
  const out: { startsAt?: string; rrule?: string | null } = {};
  const zone = v.timeZone ?? current?.timeZone ?? "UTC";
  const startsAt = v.startsAt ?? current?.startsAt;
  if (v.startsAt !== undefined) {
    const problem = /[zZ]|[+-]\d\d:?\d\d$/.test(v.startsAt)
      ? message("meetings.error.noOffset")
      : checkStart(v.startsAt, zone);
    if (problem) {
      ctx.addIssue({ code: "custom", path: ["startsAt"], message: problem });
      return out;
    }
    out.startsAt = formatLocal(parseLocal(v.startsAt)!);
  }
  if (v.recurrence === null) out.rrule = null;
  else if (v.recurrence !== undefined && startsAt) {
    try {
      out.rrule = validateRrule(v.recurrence, parseLocal(startsAt)!, zone);
    } catch (err) {
      if (!(err instanceof RecurrenceError)) throw err;
      ctx.addIssue({ code: "custom", path: ["recurrence"], message: err.message });
    }
  }
  return out;
}

const inviteesRule = z.array(z.string({ error: message("meetings.error.inviteeString") }), {
  error: message("meetings.error.inviteeArray"),
}).transform((list, ctx) => {
  const parsed = parseInvitees(list);
  if (!parsed.ok) {
    ctx.addIssue({ code: "custom", message: parsed.message });
    return z.NEVER;
  }
  return parsed.emails;
});

const RRULE_STRING = message("meetings.error.rruleString");

/** `POST /api/v1/meetings` with `startsAt`: a scheduled meeting. */
export const apiCreateSchema = z.object({
  title: titleRule.optional(),
  description: descriptionRule.optional(),
  startsAt: localStart,
  timeZone: timeZoneRule,
  durationMinutes: durationRule,
  recurrence: z.string({ error: RRULE_STRING }).nullable().optional(),
  invitees: inviteesRule.optional(),
  settings: meetingSettingsSchema.optional(),
}).strict().transform((v, ctx) => {
  const timing = refineTiming(v, ctx);
  return {
    title: v.title ?? "Scheduled meeting",
    description: v.description ?? "",
    startsAt: timing.startsAt ?? v.startsAt,
    timeZone: v.timeZone,
    durationMinutes: v.durationMinutes,
    rrule: timing.rrule ?? null,
    invitees: v.invitees ?? [],
    settings: v.settings ?? {},
  };
});

/** `PATCH /api/v1/meetings/:meetingId`: any subset; timing is checked against the stored series. */
export function apiPatchSchema(current: { startsAt: string; timeZone: string }) {
  return z.object({
    title: titleRule.optional(),
    description: descriptionRule.optional(),
    startsAt: localStart.optional(),
    timeZone: timeZoneRule.optional(),
    durationMinutes: durationRule.optional(),
    recurrence: z.string({ error: RRULE_STRING }).nullable().optional(),
    invitees: inviteesRule.optional(),
    settings: meetingSettingsSchema.optional(),
  }).strict().transform((v, ctx) => {
    const timing = refineTiming(v, ctx, current);
    return { ...v, startsAt: timing.startsAt, rrule: timing.rrule };
  });
}

/** `PATCH …/occurrences/:start`: move or resize one occurrence. */
export const occurrencePatchSchema = z.object({
  startsAt: localStart.optional(),
  durationMinutes: durationRule.optional(),
}).strict();
