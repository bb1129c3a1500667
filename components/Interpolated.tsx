// A translated sentence with an element inside it (a link, an emphasised word): the element goes
// where the language puts its placeholder, so no sentence is cut into pieces around a link.

import type { ComponentChildren } from "preact";
import { usePage } from "../lib/web/page_context.ts";
import type { MessageKey } from "../lib/i18n/client.ts";

// A character no message contains, standing in for the element while the message is formatted.
const MARK = "\u{E000}";

/** `t(id, values)` with `values[slot]` replaced by `children` (one placeholder, used once). */
export function Interpolated(
  { id, slot = "link", values = {}, children }: {
    id: MessageKey;
    slot?: string;
    values?: Record<string, string | number>;
    children: ComponentChildren;
  },
) {
  const { t } = usePage();
  const [before, after = ""] = t(id, { ...values, [slot]: MARK }).split(MARK);
  return <>{before}{children}{after}</>;
}
