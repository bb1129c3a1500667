// Form building blocks: CSRF field, labelled inputs with field-level error messages.

import type { ComponentChildren } from "preact";
import { usePage } from "../lib/web/page_context.ts";
import { say } from "../lib/i18n/message.ts";

export function CsrfField() {
  const { csrfToken } = usePage();
  return <input type="hidden" name="_csrf" value={csrfToken} />;
}

/** A POST form that always carries the CSRF token. */
export function Form(
  { action, children, class: cls }: { action: string; children: ComponentChildren; class?: string },
) {
  return (
    <form method="post" action={action} class={cls ?? "stack"} novalidate>
      <CsrfField />
      {children}
    </form>
  );
}

export interface FieldProps {
  name: string;
  /** Element id; defaults to `f-<name>` (give one when a page has two fields of one name). */
  id?: string;
  label: string;
  type?: "text" | "email" | "password" | "search" | "tel" | "url" | "number" | "date" | "time";
  value?: string;
  error?: string;
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  inputmode?: "numeric" | "email" | "text";
  autofocus?: boolean;
  /** For number, date and time inputs (a hint to pickers; the server still checks the value). */
  min?: string;
  max?: string;
  step?: string;
}

/**
 * A labelled input; an error renders beside it and marks the input invalid for screen readers, and
 * the hint or the error (whichever shows) is the input's description.
 */
export function Field(p: FieldProps) {
  const id = p.id ?? `f-${p.name}`;
  const error = useMessage(p.error);
  const describedBy = p.error ? `${id}-error` : p.hint ? `${id}-hint` : undefined;
  return (
    <div class={p.error ? "field has-error" : "field"}>
      <label for={id}>{p.label}</label>
      <input
        id={id}
        name={p.name}
        type={(p.type ?? "text") as "text"}
        value={p.type === "password" ? "" : (p.value ?? "")}
        autocomplete={p.autocomplete}
        required={p.required}
        inputmode={p.inputmode}
        autofocus={p.autofocus}
        min={p.min}
        max={p.max}
        step={p.step}
        aria-invalid={p.error ? "true" : undefined}
        aria-describedby={describedBy}
      />
      {p.hint && !p.error && <small class="hint" id={`${id}-hint`}>{p.hint}</small>}
      {error && <small class="error" id={`${id}-error`}>{error}</small>}
    </div>
  );
}

/** A banner for a message about the whole form (or a notice after a redirect). */
/** A page-level message; a message key as the only child is translated (see useMessage). */
export function Notice({ kind, children }: { kind: "error" | "info" | "success"; children: ComponentChildren }) {
  const text = useMessage(typeof children === "string" ? children : undefined);
  return <div class={`notice ${kind}`} role={kind === "error" ? "alert" : "status"}>{text ?? children}</div>;
}

/**
 * A message for the person in the page's language: a message key, with its values or without (what
 * rules and routes put in field errors and notices, lib/i18n/message.ts), is translated; any other
 * text is shown as it is.
 */
export function useMessage(text: string | undefined): string | undefined {
  const { t } = usePage();
  return text ? say(t, text) : text;
}
