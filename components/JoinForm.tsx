// "Join a meeting": by meeting ID anywhere, or for one meeting (then the ID is fixed and the
// passcode is skipped when the person came through an invitation link).

import { Field, Form, Notice } from "./Form.tsx";
import { bindFields } from "./field_binding.ts";

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
  return (
    <div class="join-form">
      {p.headingLevel === 1 ? <h1>{p.heading ?? "Join a meeting"}</h1> : <h2>{p.heading ?? "Join a meeting"}</h2>}
      {p.problem && <Notice kind="error">{p.problem}</Notice>}
      <Form action={p.action ?? "/join"} class={p.formClass ? `stack ${p.formClass}` : undefined}>
        {askMeetingId && (
          <Field
            {...field("meetingId")}
            label="Meeting ID"
            inputmode="numeric"
            autocomplete="off"
            hint="Ten digits, like 123 456 7890"
            required
          />
        )}
        {(p.askPasscode ?? true) && (
          <Field {...field("passcode")} label="Passcode" inputmode="numeric" autocomplete="off" required />
        )}
        {p.askName && (
          <Field
            {...field("name")}
            label="Your name"
            autocomplete="name"
            hint="Shown to the others in the meeting"
            required
          />
        )}
        <button type="submit" class="join-submit">{p.submitLabel ?? "Join"}</button>
      </Form>
    </div>
  );
}
