// Input validation at the edge with zod: field-level messages a person can act on.

import type { Context } from "hono";
import { z } from "zod";
import { cleanLine } from "../common/text.ts";
import type { FieldErrors } from "../common/errors.ts";
import { BadRequest, ValidationError } from "../common/errors.ts";
import type { Env } from "./types.ts";
import { english } from "../i18n/message.ts";

export type FormValues = Record<string, string>;

export type Parsed<T> = { ok: true; data: T; values: FormValues } | {
  ok: false;
  errors: FieldErrors;
  values: FormValues;
};

/** Turns a zod error into one message per field (the first problem found for each). */
export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const field = issue.path.length ? issue.path.map(String).join(".") : "_form";
    out[field] ??= issue.message;
  }
  return out;
}

/** Reads a urlencoded or multipart form's string fields (files and the CSRF field dropped). */
export async function readForm(c: Context<Env>): Promise<FormValues> {
  const type = c.req.header("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") && !type.startsWith("multipart/form-data")) {
    throw new BadRequest("error.formExpected");
  }
  const body = await c.req.parseBody();
  const values: FormValues = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string" && k !== "_csrf") values[k] = v;
  return values;
}

/** Validates a form; the caller re-renders with `errors` (status 422) when not ok. */
export async function parseForm<S extends z.ZodType>(c: Context<Env>, schema: S): Promise<Parsed<z.infer<S>>> {
  const values = await readForm(c);
  const res = schema.safeParse(values);
  if (res.success) return { ok: true, data: res.data, values };
  return { ok: false, errors: fieldErrors(res.error), values };
}

/** Validates a JSON body for the API; throws ValidationError (422 problem details) with field messages. */
export async function parseJson<S extends z.ZodType>(c: Context<Env>, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new BadRequest("The request body must be JSON");
  }
  const res = schema.safeParse(body);
  if (!res.success) throw new ValidationError(inEnglish(fieldErrors(res.error)));
  return res.data;
}

/**
 * Field errors for an API answer: a message (a key with its values, from a rule shared with the
 * pages) becomes its English text, so API clients never see raw keys; other text is kept.
 */
export function inEnglish(errors: FieldErrors): FieldErrors {
  return Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, english(v)]));
}

/**
 * Shared field rules so every form says the same thing about the same field. Their messages are
 * message keys (lib/i18n/areas/accounts.ts): pages show them in the page's language (Field,
 * Notice), parseJson answers the API in English.
 */
export const rules = {
  name: z.string().overwrite(cleanLine).trim().min(1, "accounts.error.nameEmpty").max(100, "accounts.error.tooLong100"),
  email: z.string().trim().toLowerCase().min(1, "accounts.error.emailEmpty").max(254, "accounts.error.emailTooLong")
    .email("accounts.error.emailInvalid"),
  newPassword: z.string().min(10, "accounts.error.passwordShort").max(256, "accounts.error.passwordLong"),
  password: z.string().min(1, "accounts.error.passwordEmpty").max(256, "accounts.error.passwordTooLong"),
  totpCode: z.string().trim().transform((s) => s.replace(/\s+/g, "")).pipe(
    z.string().regex(/^(\d{6}|[a-z0-9]{5}-?[a-z0-9]{5})$/i, "accounts.error.totpCode"),
  ),
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "accounts.error.timeZone"),
} satisfies Record<string, z.ZodType>;
