// The fields of the "Schedule a meeting" form, shared by /meetings/new and a series' schedule page.

import type { FieldErrors } from "../lib/common/errors.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { WEEKDAYS } from "../lib/scheduling/recurrence.ts";
import { timeZoneNames } from "../lib/scheduling/tz.ts";
import { DURATION_CHOICES, repeatSummary } from "../lib/scheduling/validation.ts";
import { Field } from "./Form.tsx";
import { bindFields } from "./field_binding.ts";

const DAY_NAMES: Record<string, string> = {
  MO: "Mon",
  TU: "Tue",
  WE: "Wed",
  TH: "Thu",
  FR: "Fri",
  SA: "Sat",
  SU: "Sun",
};

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

function durationLabel(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** The length choices, plus the current value when it is not one of them (an API-made meeting). */
function durationOptions(current: string | undefined): [string, string][] {
  const list = [...DURATION_CHOICES];
  const n = Number(current);
  if (Number.isInteger(n) && n > 0 && !list.includes(n)) list.push(n);
  return list.sort((a, b) => a - b).map((m) => [String(m), durationLabel(m)]);
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
  const zones = timeZoneNames();
  const checked = (name: string) => values[name] !== undefined;
  const field = bindFields(values, errors);
  const ends = values.ends === "until" || values.ends === "count" ? values.ends : "never";
  const summary = repeatSummary(values);
  return (
    <>
      <Field {...field("title")} label="Title" required />
      <div class={errors.description ? "field has-error" : "field"}>
        <label for="f-description">Description (optional)</label>
        <textarea id="f-description" name="description" rows={3}>{values.description ?? ""}</textarea>
        {errors.description && <small class="error">{errors.description}</small>}
      </div>
      <div class="grid2">
        <Field {...field("date")} type="date" label="Date" hint="YYYY-MM-DD" required />
        <Field {...field("time")} type="time" step="300" label="Start time" hint="HH:MM, 24-hour" required />
      </div>
      <div class="grid2">
        <Select
          name="timeZone"
          label="Time zone"
          value={values.timeZone ?? "UTC"}
          error={errors.timeZone}
          options={zones.map((z) => [z, z.replaceAll("_", " ")])}
        />
        <Select
          name="duration"
          label="Length"
          value={values.duration ?? "30"}
          error={errors.duration}
          options={durationOptions(values.duration)}
        />
      </div>
      <fieldset class="schedule-repeat">
        <legend>Repeats</legend>
        <Select
          name="repeat"
          label="How often"
          value={values.repeat ?? "none"}
          error={errors.repeat}
          options={[
            ...(editing ? [["keep", `Keep: ${editing}`] as [string, string]] : []),
            ["none", "Does not repeat"],
            ["daily", "Every day"],
            ["weekdays", "Every weekday (Mon–Fri)"],
            ["weekly", "Weekly on the days below"],
            ["monthly", "Monthly on the same date"],
          ]}
        />
        <div class={errors.days ? "schedule-days has-error" : "schedule-days"}>
          {WEEKDAYS.map((d) => (
            <Checkbox
              key={d}
              name={`day_${d}`}
              label={DAY_NAMES[d]}
              checked={checked(`day_${d}`)}
            />
          ))}
          {errors.days && <small class="error">{errors.days}</small>}
        </div>
        <fieldset class={errors.ends ? "schedule-ends has-error" : "schedule-ends"}>
          <legend>Ends (for a repeating meeting)</legend>
          <Radio name="ends" value="never" label="Never" checked={ends === "never"} />
          <Radio name="ends" value="until" label="On a date" checked={ends === "until"} />
          <Radio name="ends" value="count" label="After a number of meetings" checked={ends === "count"} />
          {errors.ends && <small class="error" id="f-ends-error">{errors.ends}</small>}
          <div class="grid2">
            <Field {...field("until")} type="date" label="Last date" hint="YYYY-MM-DD" />
            <Field
              {...field("count")}
              type="number"
              min="1"
              max="2000"
              label="Number of meetings"
              inputmode="numeric"
            />
          </div>
          <small class="hint">A series with an end ends within five years.</small>
        </fieldset>
        {summary && (
          <p class="schedule-summary-line" id="schedule-summary">
            <strong>Summary:</strong> {summary}
          </p>
        )}
      </fieldset>
      <div class={errors.invitees ? "field has-error" : "field"}>
        <label for="f-invitees">Invitees (email addresses, separated by commas or new lines; up to 300)</label>
        <textarea id="f-invitees" name="invitees" rows={4} aria-invalid={errors.invitees ? "true" : undefined}>
          {values.invitees ?? ""}
        </textarea>
        {errors.invitees && <small class="error" id="f-invitees-error">{errors.invitees}</small>}
      </div>
      <fieldset>
        <legend>Settings</legend>
        <Checkbox name="lobby" label="Lobby: people wait until a host admits them" checked={checked("lobby")} />
        <Checkbox name="guestsAllowed" label="Guests without an account may join" checked={checked("guestsAllowed")} />
      </fieldset>
    </>
  );
}
