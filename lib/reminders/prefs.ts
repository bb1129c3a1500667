// A person's reminder offsets (minutes before a meeting starts), kept in its own KV record so the
// account record stays as it is.
// The reminders capability's store module for reminder preferences.

import type { Store } from "../common/store.ts";
import { z } from "zod";
import { pushKeys } from "./keys.ts";

/** Ten minutes before, unless a person chose otherwise. */
export const DEFAULT_REMINDER_MINUTES: readonly number[] = [10];
export const MAX_REMINDERS = 5;
/** One week: the longest lead time a reminder can have. */
export const MAX_REMINDER_MINUTES = 10080;

interface StoredPrefs {
  minutes: number[];
  updatedAt: string;
}

const minute = z.number({ error: "Use whole minutes, like 10" }).int("Use whole minutes, like 10")
  .min(0, "Use 0 (when it starts) or more minutes").max(
    MAX_REMINDER_MINUTES,
    `Use at most ${MAX_REMINDER_MINUTES} minutes (one week)`,
  );

/** A list of offsets or one number; duplicates are dropped and the result sorted ascending. */
export const reminderMinutesSchema = z.preprocess(
  (v) => (typeof v === "number" ? [v] : v),
  z.array(minute, { error: "Send a number of minutes or a list of them, like [10, 60]" })
    .max(MAX_REMINDERS, `Choose at most ${MAX_REMINDERS} reminders`),
).transform(normalizeMinutes);

export function normalizeMinutes(minutes: number[]): number[] {
  return [...new Set(minutes)].sort((a, b) => a - b);
}

/** Parses what a person types in the form ("10, 60"); an empty field means no reminders. */
export const reminderMinutesText = z.string().trim().max(200, "That is too long").transform((text, ctx) => {
  if (!text) return [];
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) {
      ctx.addIssue({ code: "custom", message: `“${p.slice(0, 20)}” is not a whole number of minutes` });
      return z.NEVER;
    }
    out.push(Number(p));
  }
  return out;
}).pipe(z.array(minute).max(MAX_REMINDERS, `Choose at most ${MAX_REMINDERS} reminders`)).transform(normalizeMinutes);

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
