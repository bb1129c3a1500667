// A person's reminder offsets (minutes before a meeting starts), kept in its own KV record so the
// account record stays as it is.
// The reminders capability's store module for reminder preferences.

import type { Store } from "../common/store.ts";
import { z } from "zod";
import { pushKeys } from "./keys.ts";
import { message } from "../i18n/message.ts";

/** Ten minutes before, unless a person chose otherwise. */
export const DEFAULT_REMINDER_MINUTES: readonly number[] = [10];
export const MAX_REMINDERS = 5;
/** One week: the longest lead time a reminder can have. */
export const MAX_REMINDER_MINUTES = 10080;

interface StoredPrefs {
  minutes: number[];
  updatedAt: string;
}

// The rules' messages are message keys (lib/i18n/message.ts): the page says them in its language,
// the API in English.
const WHOLE = message("accounts.error.reminderWhole");
const AT_MOST = message("accounts.error.reminderCount", { max: MAX_REMINDERS });

const minute = z.number({ error: WHOLE }).int(WHOLE)
  .min(0, message("accounts.error.reminderMin"))
  .max(MAX_REMINDER_MINUTES, message("accounts.error.reminderMax", { max: MAX_REMINDER_MINUTES }));

/** A list of offsets or one number; duplicates are dropped and the result sorted ascending. */
export const reminderMinutesSchema = z.preprocess(
  (v) => (typeof v === "number" ? [v] : v),
  z.array(minute, { error: message("accounts.error.reminderList") }).max(MAX_REMINDERS, AT_MOST),
).transform(normalizeMinutes);

export function normalizeMinutes(minutes: number[]): number[] {
  return [...new Set(minutes)].sort((a, b) => a - b);
}

/** Parses what a person types in the form ("10, 60"); an empty field means no reminders. */
export const reminderMinutesText = z.string().trim().max(200, message("accounts.error.reminderTooLong")).transform(
  (text, ctx) => {
    if (!text) return [];
    const parts = text.split(/[\s,;]+/).filter(Boolean);
    const out: number[] = [];
    for (const p of parts) {
      if (!/^\d+$/.test(p)) {
        ctx.addIssue({
          code: "custom",
          message: message("accounts.error.reminderNotNumber", { text: p.slice(0, 20) }),
        });
        return z.NEVER;
      }
      out.push(Number(p));
    }
    return out;
  },
).pipe(z.array(minute).max(MAX_REMINDERS, AT_MOST)).transform(normalizeMinutes);

/** The person's offsets, or the default when they never chose (an empty list means "no reminders"). */
export async function getReminderMinutes(kv: Store, userId: string): Promise<number[]> {
  const entry = await kv.get<StoredPrefs>(pushKeys.reminderPrefs(userId));
  return entry.value ? entry.value.minutes : [...DEFAULT_REMINDER_MINUTES];
}

/** Stores the person's offsets (normalized); a single write, so it is atomic by itself. */
export async function setReminderMinutes(kv: Store, userId: string, minutes: number[]): Promise<number[]> {
  const normalized = normalizeMinutes(minutes);
  await kv.set(pushKeys.reminderPrefs(userId), { minutes: normalized, updatedAt: new Date().toISOString() });
  return normalized;
}
