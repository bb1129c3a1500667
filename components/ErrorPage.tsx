// The page shown for HTML requests that fail, in the page's language: its heading, the message
// (routes and rules throw message keys, lib/i18n/message.ts) and the field messages. The generic
// errors' own defaults (lib/common/errors.ts, which the gateway shares, so they stay plain English)
// are said in the page's language too.

import { usePage } from "../lib/web/page_context.ts";
import { useMessage } from "./Form.tsx";
import type { MessageKey, Translate } from "../lib/i18n/client.ts";
import { UNEXPECTED } from "../lib/contracts/problem.ts";
import {
  BadRequest,
  Conflict,
  Forbidden,
  NotFound,
  TooManyRequests,
  Unavailable,
  ValidationError,
} from "../lib/common/errors.ts";

/** What the app says when no route matched, for errors nobody expected, and the errors' defaults. */
const GENERIC: Record<string, MessageKey> = {
  "We could not find that page": "meetings.error.pageNotFoundText",
  [UNEXPECTED.message]: "meetings.error.unexpectedText",
  [new BadRequest().message]: "error.badRequest",
  [new Forbidden().message]: "error.forbidden",
  [new NotFound().message]: "error.notFound",
  [new Conflict().message]: "error.conflict",
  [new Unavailable().message]: "error.unavailable",
  [new ValidationError({}).message]: "error.fields",
  [new TooManyRequests(1).message]: "error.tooMany",
  // Hono's HTTPException without a message (lib/web/errors.ts).
  "Request refused": "error.refused",
};

/** The error page's heading (and its title): what kind of failure, in the page's language. */
export function errorHeading(t: Translate, status: number): string {
  return status === 404
    ? t("meetings.error.pageNotFound")
    : status === 429
    ? t("meetings.error.tooMany")
    : t("meetings.error.wentWrong");
}

export function ErrorPage(
  { status, message, fields }: { status: number; message: string; fields?: Record<string, string> },
) {
  const { t } = usePage();
  const shown = Object.hasOwn(GENERIC, message) ? GENERIC[message] : message;
  const text = useMessage(shown);
  const others = [...new Set(Object.values(fields ?? {}))].filter((m) => m !== shown);
  return (
    <section class="card narrow">
      <h1>{errorHeading(t, status)}</h1>
      <p>{text}</p>
      {/* The fields' messages without their names (those are for API clients), each said once. */}
      {others.length > 0 && (
        <ul class="errors">
          {others.map((m) => <FieldProblem key={m} message={m} />)}
        </ul>
      )}
      <p>
        <a href="/">{t("room.backToStart")}</a>
      </p>
    </section>
  );
}

function FieldProblem({ message }: { message: string }) {
  return <li>{useMessage(message)}</li>;
}
