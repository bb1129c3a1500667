// The fields of the "Schedule a meeting" form, shared by /meetings/new and a series' schedule page.

import type { FieldErrors } from "../lib/common/errors.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { WEEKDAYS } from "../lib/scheduling/recurrence.ts";
import type { Weekday } from "../lib/scheduling/recurrence.ts";
import { MAX_INVITEES } from "../lib/scheduling/schedule.ts";
import { summaryCatalog } from "../lib/scheduling/summary.ts";
import { usePage } from "../lib/web/page_context.ts";
import { say } from "../lib/i18n/message.ts";
import type { Locale } from "../lib/i18n/locales.ts";
import type { Translate } from "../lib/i18n/client.ts";
import { intlLocale } from "../lib/i18n/intl.ts";
import { timeZoneNames } from "../lib/scheduling/tz.ts";
import { DURATION_CHOICES, repeatSummary } from "../lib/scheduling/validation.ts";
import { Field } from "./Form.tsx";
import { bindFields } from "./field_binding.ts";

/** A weekday's short name in the page's language, from Intl (1 January 2024 was a Monday). */
function dayName(locale: Locale, d: Weekday): string {
  const date = new Date(Date.UTC(2024, 0, 1 + WEEKDAYS.indexOf(d)));
  return new Intl.DateTimeFormat(intlLocale(locale), { timeZone: "UTC", weekday: "short" }).format(date);
}

// ---------------------------------------------------------------------------------------------
// The form (new and edit share it)

function Select(
  p: { name: string; label: string; value: string; options: [string, string][]; error?: string },
) {
  const id = `f-${p.name}`;
  return (
    <div class={p.error ? "field has-error" : "field"}>
      <label for={id}>{p.label}</label>
      <select id={id} name={p.name} aria-invalid={p.error ? "true" : undefined}>
        {p.options.map(([v, text]) => <option key={v} value={v} selected={v === p.value}>{text}</option>)}
      </select>
      {p.error && <small class="error" id={`${id}-error`}>{p.error}</small>}
    </div>
  );
}

/** A length in minutes for people: "45 min", "1 h 30 min" ("1 Std. 30 Min."). */
export function minutesText(t: Translate, minutes: number): string {
  if (minutes < 60) return t("meetings.duration.minutes", { m: minutes });
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? t("meetings.duration.hoursMinutes", { h, m }) : t("meetings.duration.hours", { h });
}

/** A meeting's measured length: hours and minutes, or seconds when it was under a minute. */
export function durationText(t: Translate, totalSeconds: number): string {
  if (totalSeconds < 60) return t("meetings.duration.seconds", { s: totalSeconds });
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  return h ? t("meetings.duration.hoursMinutes", { h, m }) : t("meetings.duration.minutes", { m });
}

/** The length choices, plus the current value when it is not one of them (an API-made meeting). */
function durationOptions(t: Translate, current: string | undefined): [string, string][] {
  const list = [...DURATION_CHOICES];
  const n = Number(current);
  if (Number.isInteger(n) && n > 0 && !list.includes(n)) list.push(n);
  return list.sort((a, b) => a - b).map((m) => [String(m), minutesText(t, m)]);
}

function Radio(p: { name: string; value: string; label: string; checked: boolean }) {
  return (
    <label class="radio">
      <input type="radio" name={p.name} value={p.value} checked={p.checked} /> {p.label}
    </label>
  );
}

function Checkbox(p: { name: string; label: string; checked: boolean }) {
  return (
    <label class="checkbox">
      <input type="checkbox" name={p.name} checked={p.checked} /> {p.label}
    </label>
  );
}

export function ScheduleFields(
  { values, errors, editing }: { values: FormValues; errors: FieldErrors; editing?: string },
) {
  const { t, locale } = usePage();
  const zones = timeZoneNames();
  const checked = (name: string) => values[name] !== undefined;
  // The rules' messages (keys with values, lib/i18n/message.ts) in the page's language.
  errors = Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, say(t, v)]));
  const field = bindFields(values, errors);
  const ends = values.ends === "until" || values.ends === "count" ? values.ends : "never";
  const summary = repeatSummary(values, summaryCatalog(locale));
  return (
    <>
      <Field {...field("title")} label={t("meetings.form.title")} required />
      <div class={errors.description ? "field has-error" : "field"}>
        <label for="f-description">{t("meetings.form.description")}</label>
        <textarea id="f-description" name="description" rows={3}>{values.description ?? ""}</textarea>
        {errors.description && <small class="error">{errors.description}</small>}
      </div>
      <div class="grid2">
        <Field
          {...field("date")}
          type="date"
          label={t("meetings.form.date")}
          hint={t("meetings.form.dateHint")}
          required
        />
        <Field
          {...field("time")}
          type="time"
          step="300"
          label={t("meetings.form.time")}
          hint={t("meetings.form.timeHint")}
          required
        />
      </div>
      <div class="grid2">
        <Select
          name="timeZone"
          label={t("meetings.form.timeZone")}
          value={values.timeZone ?? "UTC"}
          error={errors.timeZone}
          options={zones.map((z) => [z, z.replaceAll("_", " ")])}
        />
        <Select
          name="duration"
          label={t("meetings.form.length")}
          value={values.duration ?? "30"}
          error={errors.duration}
          options={durationOptions(t, values.duration)}
        />
      </div>
      <fieldset class="schedule-repeat">
        <legend>{t("meetings.form.repeats")}</legend>
        <Select
          name="repeat"
          label={t("meetings.form.howOften")}
          value={values.repeat ?? "none"}
          error={errors.repeat}
          options={[
            ...(editing ? [["keep", t("meetings.form.keep", { summary: editing })] as [string, string]] : []),
            ["none", t("meetings.recurrence.once")],
            ["daily", t("meetings.form.daily")],
            ["weekdays", t("meetings.form.weekdays")],
            ["weekly", t("meetings.form.weekly")],
            ["monthly", t("meetings.form.monthly")],
          ]}
        />
        <div class={errors.days ? "schedule-days has-error" : "schedule-days"}>
          {WEEKDAYS.map((d) => (
            <Checkbox
              key={d}
              name={`day_${d}`}
              label={dayName(locale, d)}
              checked={checked(`day_${d}`)}
            />
          ))}
          {errors.days && <small class="error">{errors.days}</small>}
        </div>
        <fieldset class={errors.ends ? "schedule-ends has-error" : "schedule-ends"}>
          <legend>{t("meetings.form.ends")}</legend>
          <Radio name="ends" value="never" label={t("meetings.form.endsNever")} checked={ends === "never"} />
          <Radio name="ends" value="until" label={t("meetings.form.endsUntil")} checked={ends === "until"} />
          <Radio name="ends" value="count" label={t("meetings.form.endsCount")} checked={ends === "count"} />
          {errors.ends && <small class="error" id="f-ends-error">{errors.ends}</small>}
          <div class="grid2">
            <Field
              {...field("until")}
              type="date"
              label={t("meetings.form.until")}
              hint={t("meetings.form.dateHint")}
            />
            <Field
              {...field("count")}
              type="number"
              min="1"
              max="2000"
              label={t("meetings.form.count")}
              inputmode="numeric"
            />
          </div>
          <small class="hint">{t("meetings.form.endsHint")}</small>
        </fieldset>
        {summary && (
          <p class="schedule-summary-line" id="schedule-summary">
            <strong>{t("meetings.form.summary")}</strong> {summary}
          </p>
        )}
      </fieldset>
      <div class={errors.invitees ? "field has-error" : "field"}>
        <label for="f-invitees">{t("meetings.form.invitees", { max: MAX_INVITEES })}</label>
        <textarea id="f-invitees" name="invitees" rows={4} aria-invalid={errors.invitees ? "true" : undefined}>
          {values.invitees ?? ""}
        </textarea>
        {errors.invitees && <small class="error" id="f-invitees-error">{errors.invitees}</small>}
      </div>
      <fieldset>
        <legend>{t("meetings.form.settings")}</legend>
        <Checkbox name="lobby" label={t("meetings.form.lobby")} checked={checked("lobby")} />
        <Checkbox name="guestsAllowed" label={t("meetings.form.guests")} checked={checked("guestsAllowed")} />
      </fieldset>
    </>
  );
}
