// The links between pages of a cursor-paged list: previous (rel="prev"), back to the first page, next
// (rel="next"). Renders nothing when there is only one page.

export interface PagerProps {
  prevHref: string | null;
  nextHref: string | null;
  firstHref: string;
  labels: { prev: string; first: string; next: string };
  /** Show the first-page link on the first page too (the audit log always offers "Newest"). */
  alwaysFirst?: boolean;
}

export function Pager({ prevHref, nextHref, firstHref, labels, alwaysFirst = false }: PagerProps) {
  if (!prevHref && !nextHref) return null;
  return (
    <nav class="pager" aria-label="Pages">
      {prevHref ? <a href={prevHref} rel="prev">{labels.prev}</a> : <span />}
      {prevHref || alwaysFirst ? <a href={firstHref}>{labels.first}</a> : <span />}
      {nextHref ? <a href={nextHref} rel="next">{labels.next}</a> : <span />}
    </nav>
  );
}
