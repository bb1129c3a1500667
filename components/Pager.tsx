// The links between pages of a cursor-paged list: previous (rel="prev"), back to the first page, next
// (rel="next"). Renders nothing when there is only one page.

/** Page-number words for lists in a chosen order; newer/older for lists newest first. */
const LABELS = {
  pages: { prev: "← Previous", first: "First page", next: "Next →" },
  time: { prev: "← Newer", first: "Newest", next: "Older →" },
} as const;

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
  /** The words in the page's language, for a page that has them translated (else `order`'s English). */
  labels?: PagerLabels;
}

export interface PagerLabels {
  nav: string;
  prev: string;
  first: string;
  next: string;
}

export function Pager({ prev, next, href, firstHref, order, alwaysFirst = false, labels: given }: PagerProps) {
  if (!prev && !next) return null;
  const labels = given ?? { nav: "Pages", ...LABELS[order] };
  return (
    <nav class="pager" aria-label={labels.nav}>
      {prev ? <a href={href(prev, "prev")} rel="prev">{labels.prev}</a> : <span />}
      {prev || alwaysFirst ? <a href={firstHref}>{labels.first}</a> : <span />}
      {next ? <a href={href(next, "next")} rel="next">{labels.next}</a> : <span />}
    </nav>
  );
}
