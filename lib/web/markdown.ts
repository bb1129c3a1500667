// A small Markdown renderer for the user guide (docs/guide/): only the subset the guide uses —
// headings, paragraphs, lists, pipe tables, fenced code, links, images, bold, italic, inline code.
// No Markdown library is installed, and the guide needs no more. Safe by construction: every piece
// of text is escaped, raw HTML is shown as text, and only relative and https links become links.

export interface Heading {
  level: number;
  text: string;
  id: string;
}

export interface RenderedMarkdown {
  html: string;
  /** Every heading in document order, with the id its element carries. */
  headings: Heading[];
  /** The targets of every image, as written (before `rewrite`). */
  images: { src: string; alt: string }[];
}

export interface MarkdownOptions {
  /** Maps an allowed link or image target to what the page uses (e.g. `joining.md` → `/help/joining`). */
  rewrite?: (href: string, kind: "link" | "image") => string;
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for HTML content and attribute values (both quote kinds escaped). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * Whether a link target may become a link: https URLs and relative paths or fragments. Anything
 * with another scheme (javascript:, data:, http:, vbscript:…), protocol-relative `//host` and
 * targets with control characters or backslashes (which browsers read in surprising ways) may not.
 */
export function isAllowedHref(href: string): boolean {
  // deno-lint-ignore no-control-regex -- control characters are exactly what is refused here
  if (href === "" || /[\u0000-\u0020\u007f\\]/.test(href)) return false;
  if (/^https:\/\/[^/]/i.test(href)) return true;
  if (href.startsWith("//")) return false;
  // A colon before any / ? # means a scheme.
  const scheme = href.match(/^[^/?#]*:/);
  return scheme === null;
}

/** An id for a heading: lower-case words joined by "-" (ASCII letters and digits only). */
export function slugify(text: string): string {
  const slug = text.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return slug || "section";
}

// ---------------------------------------------------------------------------------------------
// Inline: code spans, images, links, bold, italic, backslash escapes.

interface InlineContext {
  opts: MarkdownOptions;
  images: RenderedMarkdown["images"];
}

const PUNCTUATION = /[\\`*_{}[\]()#+\-.!|<>~"']/;

/** Finds the `(target)` after `[text]` at `at` (which points at "("); returns target and end. */
function parseTarget(src: string, at: number): { href: string; end: number } | null {
  if (src[at] !== "(") return null;
  // Balanced parentheses, as CommonMark reads them: `(javascript:alert(1))` is one target.
  let depth = 0;
  let close = -1;
  for (let j = at; j < src.length && j < at + 2048; j++) {
    if (src[j] === "(") depth++;
    else if (src[j] === ")" && --depth === 0) {
      close = j;
      break;
    }
  }
  if (close < 0) return null;
  const href = src.slice(at + 1, close).trim();
  // A title ("…") or spaces are not part of the subset.
  if (/\s/.test(href)) return null;
  return { href, end: close + 1 };
}

/** The index of the `]` closing the `[` at `open`, honouring nesting and backslashes. */
function closingBracket(src: string, open: number, last: number): number {
  if (open > last) return -1; // no "]" after it at all: do not scan
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const c = src[i];
    if (c === "\\") i++;
    else if (c === "[") depth++;
    else if (c === "]" && --depth === 0) return i;
  }
  return -1;
}

/** Renders inline Markdown to HTML. Unmatched markup stays as (escaped) text. */
export function renderInline(src: string, ctx: InlineContext = { opts: {}, images: [] }): string {
  let out = "";
  let i = 0;
  const lastClose = src.lastIndexOf("]");
  while (i < src.length) {
    const c = src[i];
    if (c === "\\" && i + 1 < src.length && PUNCTUATION.test(src[i + 1])) {
      out += escapeHtml(src[i + 1]);
      i += 2;
      continue;
    }
    if (c === "`") {
      const close = src.indexOf("`", i + 1);
      if (close > i) {
        out += `<code>${escapeHtml(src.slice(i + 1, close))}</code>`;
        i = close + 1;
        continue;
      }
    }
    if (c === "!" && src[i + 1] === "[") {
      const close = closingBracket(src, i + 1, lastClose);
      const target = close > 0 ? parseTarget(src, close + 1) : null;
      if (target) {
        const alt = plainText(src.slice(i + 2, close));
        if (isAllowedHref(target.href)) {
          ctx.images.push({ src: target.href, alt });
          const href = ctx.opts.rewrite?.(target.href, "image") ?? target.href;
          out += `<img src="${escapeHtml(href)}" alt="${escapeHtml(alt)}" loading="lazy">`;
        } else {
          out += escapeHtml(alt);
        }
        i = target.end;
        continue;
      }
    }
    if (c === "[") {
      const close = closingBracket(src, i, lastClose);
      const target = close > 0 ? parseTarget(src, close + 1) : null;
      if (target) {
        const inner = renderInline(src.slice(i + 1, close), ctx);
        if (isAllowedHref(target.href)) {
          const href = ctx.opts.rewrite?.(target.href, "link") ?? target.href;
          const external = /^https:/i.test(href) ? ' rel="noopener noreferrer"' : "";
          out += `<a href="${escapeHtml(href)}"${external}>${inner}</a>`;
        } else {
          out += inner;
        }
        i = target.end;
        continue;
      }
    }
    if (c === "*" || c === "_") {
      const strong = src[i + 1] === c;
      const mark = strong ? c + c : c;
      const start = i + mark.length;
      const close = findClosing(src, mark, start);
      // Intraword underscores (snake_case) are text; so is a marker followed by a space.
      const intraword = c === "_" && /\w/.test(src[i - 1] ?? "");
      if (close > start && !intraword && !/\s/.test(src[start])) {
        const tag = strong ? "strong" : "em";
        out += `<${tag}>${renderInline(src.slice(start, close), ctx)}</${tag}>`;
        i = close + mark.length;
        continue;
      }
    }
    out += escapeHtml(c);
    i++;
  }
  return out;
}

/** The next `mark` after `from` that closes an emphasis (not preceded by a space or backslash). */
function findClosing(src: string, mark: string, from: number): number {
  for (let j = src.indexOf(mark, from); j >= 0; j = src.indexOf(mark, j + 1)) {
    if (src[j - 1] === "\\" || /\s/.test(src[j - 1])) continue;
    // "**" must not be read as the end of "*…*" and vice versa.
    if (mark.length === 1 && (src[j + 1] === mark || src[j - 1] === mark)) continue;
    if (mark[0] === "_" && /\w/.test(src[j + mark.length] ?? "")) continue;
    return j;
  }
  return -1;
}

/** Inline Markdown as plain text (for alt text, heading ids and the table of contents). */
export function plainText(src: string): string {
  return src
    .replace(/\\([\\`*_{}[\]()#+\-.!|<>~"'])/g, "$1")
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/(\*\*|__)(.+?)\1/g, "$2")
    .replace(/(^|[^\w])[*_](\S.*?)[*_](?!\w)/g, "$1$2");
}

// ---------------------------------------------------------------------------------------------
// Blocks

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const BULLET = /^[-*]\s+(.*)$/;
const ORDERED = /^\d{1,9}[.)]\s+(.*)$/;
const FENCE = /^```\s*([\w-]*)\s*$/;
const TABLE_RULE = /^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

function tableCells(line: string): string[] {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  // Split on pipes not escaped with a backslash (the escape is kept for renderInline).
  return s.split(/(?<!\\)\|/).map((cell) => cell.trim());
}

/** Renders a Markdown document (the subset above) to HTML, with its headings and images. */
export function renderMarkdown(src: string, opts: MarkdownOptions = {}): RenderedMarkdown {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const headings: Heading[] = [];
  const images: RenderedMarkdown["images"] = [];
  const ids = new Map<string, number>();
  const ctx: InlineContext = { opts, images };
  const inline = (s: string) => renderInline(s, ctx);
  const out: string[] = [];
  let i = 0;
  const blank = (l: string | undefined) => l === undefined || l.trim() === "";
  const startsBlock = (l: string) =>
    HEADING.test(l) || BULLET.test(l) || ORDERED.test(l) || FENCE.test(l) || l.trimStart().startsWith("|");

  while (i < lines.length) {
    const line = lines[i];
    if (blank(line)) {
      i++;
      continue;
    }
    const fence = line.match(FENCE);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```\s*$/.test(lines[i])) body.push(lines[i++]);
      i++; // the closing fence (or the end)
      const lang = fence[1] ? ` class="language-${escapeHtml(fence[1])}"` : "";
      out.push(`<pre><code${lang}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      const level = heading[1].length;
      const text = plainText(heading[2]);
      const base = slugify(text);
      const n = (ids.get(base) ?? 0) + 1;
      ids.set(base, n);
      const id = n === 1 ? base : `${base}-${n}`;
      headings.push({ level, text, id });
      out.push(`<h${level} id="${id}">${inline(heading[2])}</h${level}>`);
      i++;
      continue;
    }
    if (line.trimStart().startsWith("|") && TABLE_RULE.test(lines[i + 1] ?? "")) {
      const head = tableCells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && lines[i].trimStart().startsWith("|")) rows.push(tableCells(lines[i++]));
      const th = head.map((h) => `<th scope="col">${inline(h)}</th>`).join("");
      const body = rows.map((r) => `<tr>${head.map((_, k) => `<td>${inline(r[k] ?? "")}</td>`).join("")}</tr>`).join(
        "",
      );
      out.push(`<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`);
      continue;
    }
    const listKind = BULLET.test(line) ? "ul" : ORDERED.test(line) ? "ol" : null;
    if (listKind) {
      const marker = listKind === "ul" ? BULLET : ORDERED;
      const items: string[] = [];
      while (i < lines.length) {
        const m = lines[i].match(marker);
        if (m) {
          items.push(m[1]);
          i++;
        } else if (!blank(lines[i]) && /^\s+\S/.test(lines[i]) && items.length) {
          // An indented line continues the item above.
          items[items.length - 1] += " " + lines[i].trim();
          i++;
        } else break;
      }
      out.push(`<${listKind}>${items.map((it) => `<li>${inline(it)}</li>`).join("")}</${listKind}>`);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && !blank(lines[i]) && (para.length === 0 || !startsBlock(lines[i]))) {
      para.push(lines[i++].trim());
    }
    out.push(`<p>${inline(para.join(" "))}</p>`);
  }
  return { html: out.join("\n"), headings, images };
}
