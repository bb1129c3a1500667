// A one-time link that no longer works (confirmation and password-reset links): what went wrong and
// what to do next. A title or message that is a message key is shown in the page's language.

import type { ComponentChildren } from "preact";
import { useMessage } from "./Form.tsx";

export function LinkProblem(
  { title, message, action }: { title: string; message: string; action: ComponentChildren },
) {
  return (
    <section class="card narrow">
      <h1>{useMessage(title)}</h1>
      <p>{useMessage(message)}</p>
      <p>{action}</p>
    </section>
  );
}
