// The page shown for HTML requests that fail, in the page's language: its heading, the generic
// messages and any message key; other messages (thrown by routes in English) are shown as they are.

import { usePage } from "../lib/web/page_context.ts";
import { useMessage } from "./Form.tsx";
import type { MessageKey, Translate } from "../lib/i18n/client.ts";
import { UNEXPECTED } from "../lib/contracts/problem.ts";

/** What the app says when no route matched, and for errors nobody expected. */
const GENERIC: Record<string, MessageKey> = {
  "We could not find that page": "meetings.error.pageNotFoundText",
  [UNEXPECTED.message]: "meetings.error.unexpectedText",
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
  const text = useMessage(GENERIC[message] ?? message);
  return (
    <section class="card narrow">
      <h1>{errorHeading(t, status)}</h1>
      <p>{text}</p>
      {fields && (
        <ul class="errors">
          {Object.entries(fields).map(([k, v]) => <FieldProblem key={k} name={k} message={v} />)}
        </ul>
      )}
      <p>
        <a href="/">{t("room.backToStart")}</a>
      </p>
    </section>
  );
}

function FieldProblem({ name, message }: { name: string; message: string }) {
  return <li>{name}: {useMessage(message)}</li>;
}
