// The email and password inputs the sign-in, sign-up and reset pages share: the same labels,
// types and autocomplete hints (which password managers rely on), and the same hint for new passwords.

import { Field } from "./Form.tsx";
import { usePage } from "../lib/web/page_context.ts";

/** The account's email address; `autocomplete` is "username" beside a password, else "email". */
export function EmailField(
  { value, error, autocomplete = "email" }: { value?: string; error?: string; autocomplete?: "email" | "username" },
) {
  return (
    <Field
      name="email"
      label={usePage().t("field.email")}
      type="email"
      value={value}
      error={error}
      autocomplete={autocomplete}
      required
    />
  );
}

/** A password input: the current one (sign-in), or a new one with the length hint (sign-up, reset). */
export function PasswordField(
  { error, kind, label, hint }: { error?: string; kind: "current" | "new"; label?: string; hint?: string },
) {
  return (
    <Field
      name="password"
      label={label ?? usePage().t(kind === "new" ? "field.newPassword" : "field.password")}
      type="password"
      error={error}
      autocomplete={kind === "new" ? "new-password" : "current-password"}
      hint={kind === "new" ? (hint ?? usePage().t("field.newPasswordHint")) : undefined}
      required
    />
  );
}
