// The scheduling rules' messages (lib/scheduling/validation.ts, recurrence.ts, service.ts) in the
// page's language. The rules speak English because the API answers in English; the schedule pages
// map the messages they know to catalog keys here, when they render. Anything unknown shows as it is.

import type { MessageKey, Translate } from "../i18n/client.ts";
import { isMessageKey } from "../i18n/translate.ts";
import type { Locale } from "../i18n/locales.ts";

type Rule = [RegExp, MessageKey, (m: RegExpMatchArray) => Record<string, string | number>];

const none = () => ({});

const RULES: Rule[] = [
  [/^Give the meeting a title$/, "meetings.error.title", none],
  [/^Use at most (\d+) characters$/, "meetings.error.maxChars", (m) => ({ max: Number(m[1]) })],
  [/^Enter the date as YYYY-MM-DD$/, "meetings.error.date", none],
  [/^Enter the time as HH:MM \(24-hour\)$/, "meetings.error.time", none],
  [/^Choose a time zone$|^Unknown time zone; /, "meetings.error.timeZone", none],
  [/^Enter the length in minutes$|^Use whole minutes$/, "meetings.error.duration", none],
  [/^The meeting must end after it starts$/, "meetings.error.durationPositive", none],
  [/^A meeting lasts at most 24 hours/, "meetings.error.durationMax", none],
  [/^Choose how the meeting repeats$/, "meetings.error.repeat", none],
  [/^Choose when the series ends$/, "meetings.error.ends", none],
  [/^The list of invitees is too long$/, "meetings.error.inviteesLong", none],
  [/^Use a real date and time like /, "meetings.error.start", none],
  [/^Choose a start time in the future$/, "meetings.error.startPast", none],
  [/^Choose a start within (\d+) years$/, "meetings.error.startFar", (m) => ({ years: Number(m[1]) })],
  [
    /^Invite at most (\d+) people \(you listed (\d+)\)$/,
    "meetings.error.inviteesMany",
    (m) => ({ max: Number(m[1]), count: Number(m[2]) }),
  ],
  [/^"(.*)" is not a valid email address$/s, "meetings.error.inviteeEmail", (m) => ({ email: m[1] })],
  [/^Enter how many meetings, like 10$/, "meetings.error.count", none],
  [/^Enter the (?:last|end) date as YYYY-MM-DD$/, "meetings.error.until", none],
  [/^Include the weekday of the first meeting$/, "meetings.error.days", none],
  [/^The first meeting of a weekday series must be on a weekday$/, "meetings.error.weekdayStart", none],
  [/^The series must end after its first meeting$/, "meetings.error.endBeforeStart", none],
  [
    /^The series must end within (\d+) years of its start$/,
    "meetings.error.seriesFar",
    (m) => ({ years: Number(m[1]) }),
  ],
  [
    /^This recurrence rule produces no meetings(?: within (\d+) years)?$/,
    "meetings.error.noMeetings",
    none,
  ],
  [
    /^A series has (?:at most|between 1 and) (\d+) meetings$/,
    "meetings.error.seriesMax",
    (m) => ({ max: Number(m[1]) }),
  ],
  [/^A series can have at most (\d+) changed or cancelled meetings$/, "meetings.error.exceptions", (m) => ({
    max: Number(m[1]),
  })],
  [/^This meeting was cancelled; schedule a new one instead$/, "meetings.error.cancelledSeries", none],
  [/^This meeting was cancelled$/, "meetings.schedule.wasCancelled", none],
  [/^Confirm your email address before sending invitations/, "meetings.error.unverified", none],
];

/**
 * A scheduling message in the page's language: a catalog key, a known rule's English, or as it is.
 * English pages show the rules' own words (they are more exact than the catalog's summaries).
 */
export function scheduleMessage(t: Translate, locale: Locale, text: string): string {
  if (isMessageKey(text)) return t(text);
  if (locale === "en") return text;
  for (const [re, key, values] of RULES) {
    const m = text.match(re);
    if (m) return t(key, values(m));
  }
  return text;
}
