// The user guide (docs/guide/*.md and its screenshots) as the /help pages: read and rendered once,
// when the routes load, checked as it is read (one h1 first, headings in order, alt text on every
// image, every image present, every link to a topic or image that exists), then kept in memory.

import { createHash } from "node:crypto";
import { type Heading, renderMarkdown } from "./markdown.ts";

export const GUIDE_DIR: string = decodeURIComponent(new URL("../../docs/guide/", import.meta.url).pathname);
export const GUIDE_URL = "/help";
/** The guide's table of contents: docs/guide/README.md, served as /help itself. */
const INDEX_FILE = "README.md";
/** What an image may be called (one path segment) and be. */
export const GUIDE_IMAGE_RE = /^[a-z0-9][a-z0-9-]*\.(png|jpg)$/;

export interface GuidePage {
  /** "" for the index, else the topic's file name without .md. */
  slug: string;
  title: string;
  /** The rendered h1. */
  h1Html: string;
  /** Everything after the h1. */
  bodyHtml: string;
  /** The page's h2 sections, for its table of contents. */
  toc: Heading[];
  /** Image file names the page shows. */
  images: string[];
}

export interface GuideImage {
  name: string;
  type: string;
  data: Uint8Array<ArrayBuffer>;
  /** Hex SHA-256 prefix: the `?v=` of its URL, so the URL can be cached for a year. */
  hash: string;
}

export interface Guide {
  index: GuidePage;
  /** Topics in the order the index lists them. */
  topics: GuidePage[];
  bySlug: Map<string, GuidePage>;
  images: Map<string, GuideImage>;
  /** What is wrong with the pages (only ever non-empty when loaded with `strict: false`). */
  problems: string[];
}

/** The URL a page shows an image at. */
export function guideImageUrl(img: GuideImage): string {
  return `${GUIDE_URL}/images/${img.name}?v=${img.hash}`;
}

function readImages(dir: string): Map<string, GuideImage> {
  const images = new Map<string, GuideImage>();
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(`${dir}images`)];
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const e of entries) {
    if (!e.isFile || !GUIDE_IMAGE_RE.test(e.name)) continue;
    const data = Deno.readFileSync(`${dir}images/${e.name}`) as Uint8Array<ArrayBuffer>;
    const hash = createHash("sha256").update(data).digest("hex").slice(0, 16);
    images.set(e.name, { name: e.name, type: e.name.endsWith(".png") ? "image/png" : "image/jpeg", data, hash });
  }
  return images;
}

/** The topic slugs an index links to (`joining.md` → `joining`), in order. */
function linkedTopics(markdown: string): string[] {
  const out: string[] = [];
  for (const m of markdown.matchAll(/\]\(([a-z0-9-]+)\.md(#[\w-]*)?\)/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

function renderGuidePage(
  file: string,
  slug: string,
  markdown: string,
  topics: Set<string>,
  images: Map<string, GuideImage>,
  report: (problem: string) => void,
): GuidePage {
  const problems: string[] = [];
  const rewrite = (href: string, kind: "link" | "image") => {
    if (/^https:/i.test(href) || href.startsWith("#")) return href;
    if (kind === "image") {
      const name = href.replace(/^images\//, "");
      const img = href.startsWith("images/") ? images.get(name) : undefined;
      if (!img) {
        problems.push(`image ${href} is not in docs/guide/images/`);
        return href;
      }
      return guideImageUrl(img);
    }
    const m = href.match(/^([a-z0-9-]+)\.md(#[\w-]*)?$/);
    if (m && (topics.has(m[1]) || m[1] === "README")) {
      return m[1] === "README" ? `${GUIDE_URL}${m[2] ?? ""}` : `${GUIDE_URL}/${m[1]}${m[2] ?? ""}`;
    }
    problems.push(`link ${href} is neither a guide topic, an image, a fragment nor https`);
    return href;
  };
  const r = renderMarkdown(markdown, { rewrite });
  const [first, ...rest] = r.headings;
  if (!first || first.level !== 1) problems.push("the first heading must be the one h1");
  if (rest.some((h) => h.level === 1)) problems.push("more than one h1");
  r.headings.forEach((h, i) => {
    if (i > 0 && h.level > r.headings[i - 1].level + 1) problems.push(`heading "${h.text}" skips a level`);
  });
  for (const img of r.images) if (img.alt.trim().length < 10) problems.push(`image ${img.src} needs real alt text`);
  if (problems.length) report(`docs/guide/${file}: ${problems.join("; ")}`);
  const cut = r.html.indexOf("\n");
  const h1Html = cut < 0 ? r.html : r.html.slice(0, cut);
  // The h1 must come before anything else, so the page can put its table of contents under it.
  if (!h1Html.startsWith("<h1 ")) throw new Error(`docs/guide/${file}: the h1 must be the first line`);
  return {
    slug,
    title: first.text,
    h1Html,
    bodyHtml: cut < 0 ? "" : r.html.slice(cut + 1),
    toc: r.headings.filter((h) => h.level === 2),
    images: r.images.map((i) => i.src.replace(/^images\//, "")),
  };
}

/**
 * Reads and renders the whole guide from `dir`. Throws, naming the file and every problem, when a
 * page breaks the rules above or a topic file is missing from the index (or the index names a file
 * that is not there). With `strict: false` (the server) page problems are only listed in
 * `problems`: a missing screenshot must not keep the server from starting; the tests are strict.
 */
export function loadGuide(dir: string = GUIDE_DIR, opts: { strict?: boolean } = {}): Guide {
  const strict = opts.strict ?? true;
  const problems: string[] = [];
  const report = (problem: string) => {
    if (strict) throw new Error(problem);
    problems.push(problem);
  };
  const images = readImages(dir);
  const indexMarkdown = Deno.readTextFileSync(`${dir}${INDEX_FILE}`);
  const order = linkedTopics(indexMarkdown);
  const files = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".md") && e.name !== INDEX_FILE)
    .map((e) => e.name.slice(0, -3));
  const unlisted = files.filter((f) => !order.includes(f));
  const missing = order.filter((f) => !files.includes(f));
  if (unlisted.length || missing.length) {
    throw new Error(
      `docs/guide/${INDEX_FILE}: ${
        [...unlisted.map((f) => `does not link ${f}.md`), ...missing.map((f) => `links ${f}.md, which is missing`)]
          .join("; ")
      }`,
    );
  }
  const slugs = new Set(order);
  const index = renderGuidePage(INDEX_FILE, "", indexMarkdown, slugs, images, report);
  const topics = order.map((slug) =>
    renderGuidePage(`${slug}.md`, slug, Deno.readTextFileSync(`${dir}${slug}.md`), slugs, images, report)
  );
  return { index, topics, bySlug: new Map(topics.map((t) => [t.slug, t])), images, problems };
}
