// "Join a meeting": by meeting ID anywhere, or for one meeting (then the ID is fixed and the
// passcode is skipped when the person came through an invitation link).

import { Field, Form, Notice } from "./Form.tsx";
import { bindFields } from "./field_binding.ts";
import { usePage } from "../lib/web/page_context.ts";

export interface JoinFormProps {
  /** Where the form posts: `/join`, or `/m/<meetingId>/join` for one meeting. */
  action?: string;
  /** Ask for the meeting ID (the general form). */
  askMeetingId?: boolean;
  askPasscode?: boolean;
  /** Ask for a display name (people who are not signed in). */
  askName?: boolean;
  values?: Record<string, string>;
  errors?: Record<string, string>;
  /** A message about the whole attempt (unknown meeting, ended, …). */
  problem?: string;
  heading?: string;
  /** The submit button's text ("Join" by default; "Ask to join" where a host lets people in). */
  submitLabel?: string;
  /** More classes for the <form> (the pre-join screen finds its form by one). */
  formClass?: string;
  /** The heading's level: 1 where the form is the page (/join), 2 inside another page. */
  headingLevel?: 1 | 2;
}

export function JoinForm(p: JoinFormProps) {
  const field = bindFields(p.values ?? {}, p.errors ?? {});
  const askMeetingId = p.askMeetingId ?? true;
  const { t } = usePage();
  const heading = p.heading ?? t("join.heading");
  return (
    <div class="join-form">
      {p.headingLevel === 1 ? <h1>{heading}</h1> : <h2>{heading}</h2>}
      {p.problem && <Notice kind="error">{p.problem}</Notice>}
      <Form action={p.action ?? "/join"} class={p.formClass ? `stack ${p.formClass}` : undefined}>
        {askMeetingId && (
          <Field
            {...field("meetingId")}
            label={t("join.meetingId")}
            inputmode="numeric"
            autocomplete="off"
            hint={t("join.meetingIdHint")}
            required
          />
        )}
        {(p.askPasscode ?? true) && (
          <Field {...field("passcode")} label={t("join.passcode")} inputmode="numeric" autocomplete="off" required />
        )}
        {p.askName && (
          <Field
            {...field("name")}
            label={t("join.name")}
            autocomplete="name"
            hint={t("join.nameHint")}
            required
          />
        )}
        <button type="submit" class="join-submit">{p.submitLabel ?? t("join.submit")}</button>
      </Form>
    </div>
  );
}
