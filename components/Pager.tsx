// The links between pages of a cursor-paged list: previous (rel="prev"), back to the first page, next
// (rel="next"). Renders nothing when there is only one page.

import { usePage } from "../lib/web/page_context.ts";
import type { MessageKey } from "../lib/i18n/client.ts";

/** Page-number words for lists in a chosen order; newer/older for lists newest first (arrows per direction). */
const LABELS: Record<"pages" | "time", Record<"prev" | "first" | "next", MessageKey>> = {
  pages: { prev: "meetings.pager.previous", first: "meetings.pager.first", next: "meetings.pager.next" },
  time: { prev: "meetings.pager.newer", first: "meetings.pager.newest", next: "meetings.pager.older" },
};

export interface PagerProps {
  /** The cursors of the neighbouring pages (null at either end). */
  prev: string | null;
  next: string | null;
  /** The URL of the page a cursor starts, going in `direction`. */
  href: (cursor: string, direction: "prev" | "next") => string;
  firstHref: string;
  order: keyof typeof LABELS;
  /** Show the first-page link on the first page too (the audit log always offers "Newest"). */
  alwaysFirst?: boolean;
}

export function Pager({ prev, next, href, firstHref, order, alwaysFirst = false }: PagerProps) {
  const { t } = usePage();
  if (!prev && !next) return null;
  const labels = LABELS[order];
  return (
    <nav class="pager" aria-label={t("meetings.pager.label")}>
      {prev ? <a href={href(prev, "prev")} rel="prev">{t(labels.prev)}</a> : <span />}
      {prev || alwaysFirst ? <a href={firstHref}>{t(labels.first)}</a> : <span />}
      {next ? <a href={href(next, "next")} rel="next">{t(labels.next)}</a> : <span />}
    </nav>
  );
}
