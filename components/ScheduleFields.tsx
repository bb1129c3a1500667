// The fields of the "Schedule a meeting" form, shared by /meetings/new and a series' schedule page.

import type { FieldErrors } from "../lib/common/errors.ts";
import type { FormValues } from "../lib/web/validate.ts";
import { WEEKDAYS } from "../lib/scheduling/recurrence.ts";
import { timeZoneNames } from "../lib/scheduling/tz.ts";
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
  return (
    <>
      <Field {...field("title")} label="Title" required />
      <div class={errors.description ? "field has-error" : "field"}>
        <label for="f-description">Description (optional)</label>
        <textarea id="f-description" name="description" rows={3}>{values.description ?? ""}</textarea>
        {errors.description && <small class="error">{errors.description}</small>}
      </div>
      <div class="grid2">
        <Field {...field("date")} label="Date (YYYY-MM-DD)" required />
        <Field {...field("time")} label="Time (HH:MM, 24-hour)" required />
      </div>
      <div class="grid2">
        <Select
          name="timeZone"
          label="Time zone"
          value={values.timeZone ?? "UTC"}
          error={errors.timeZone}
          options={zones.map((z) => [z, z])}
        />
        <Field {...field("duration")} label="Length (minutes)" inputmode="numeric" required />
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
        <Select
          name="ends"
          label="Ends"
          value={values.ends ?? "until"}
          error={errors.ends}
          options={[["until", "On a date"], ["count", "After a number of meetings"]]}
        />
        <div class="grid2">
          <Field {...field("until")} label="Last date (YYYY-MM-DD)" />
          <Field {...field("count")} label="Number of meetings" inputmode="numeric" />
        </div>
        <small class="hint">A series ends within five years.</small>
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
