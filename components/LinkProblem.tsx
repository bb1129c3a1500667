// A one-time link that no longer works (confirmation and password-reset links): what went wrong and
// what to do next.

import type { ComponentChildren } from "preact";

export function LinkProblem(
  { title, message, action }: { title: string; message: string; action: ComponentChildren },
) {
  return (
    <section class="card narrow">
      <h1>{title}</h1>
      <p>{message}</p>
      <p>{action}</p>
    </section>
  );
}
