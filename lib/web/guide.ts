// The user guide (docs/guide/*.md, its translations in docs/guide/<locale>/ and the screenshots they
// share) as the /help pages: read and rendered once, when the routes load, checked as it is read (one
// h1 first, headings in order, alt text on every image, every image present, every link to a topic
// or image that exists; a translation has English's pages, images and number of h2s), then kept in
// memory. A translation's missing page is English's page.

import { createHash } from "node:crypto";
import { type Heading, renderMarkdown } from "./markdown.ts";
import { type Locale, LOCALES } from "../i18n/locales.ts";

export const GUIDE_DIR: string = decodeURIComponent(new URL("../../docs/guide/", import.meta.url).pathname);
export const GUIDE_URL = "/help";
/** The guide's table of contents: docs/guide/README.md, served as /help itself. */
const INDEX_FILE = "README.md";
/** What an image may be called (one path segment) and be. */
export const GUIDE_IMAGE_RE = /^[a-z0-9][a-z0-9-]*\.(png|jpg)$/;

export interface GuidePage {
  /** "" for the index, else the topic's file name without .md. */
  slug: string;
  /** The language the page is written in (English where a translation lacks it). */
  locale: Locale;
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

/** The guide in one language: every page English has, translated or English's own. */
export interface GuideEdition {
  locale: Locale;
  index: GuidePage;
  /** Topics in the order English's index lists them. */
  topics: GuidePage[];
  bySlug: Map<string, GuidePage>;
}

/** The English guide (its fields), and every language's. */
export interface Guide extends GuideEdition {
  editions: Record<Locale, GuideEdition>;
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

interface PageSource {
  /** The file, as named in problems: `joining.md`, `de/joining.md`. */
  file: string;
  slug: string;
  locale: Locale;
  markdown: string;
}

function renderGuidePage(
  { file, slug, locale, markdown }: PageSource,
  topics: Set<string>,
  images: Map<string, GuideImage>,
  report: (problem: string) => void,
): GuidePage {
  const problems: string[] = [];
  // Translations sit one folder down and share English's images.
  const imagePrefix = locale === "en" ? "images/" : "../images/";
  const rewrite = (href: string, kind: "link" | "image") => {
    if (/^https:/i.test(href) || href.startsWith("#")) return href;
    if (kind === "image") {
      const name = href.slice(imagePrefix.length);
      const img = href.startsWith(imagePrefix) ? images.get(name) : undefined;
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
    locale,
    title: first.text,
    h1Html,
    bodyHtml: cut < 0 ? "" : r.html.slice(cut + 1),
    toc: r.headings.filter((h) => h.level === 2),
    images: r.images.map((i) => i.src.slice(imagePrefix.length)),
  };
}

function markdownFiles(dir: string): string[] {
  return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".md") && e.name !== INDEX_FILE)
    .map((e) => e.name.slice(0, -3));
}

function readOptional(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/** What a translated page must share with English's: its images, in order, and its number of h2s. */
function differences(page: GuidePage, english: GuidePage): string[] {
  const out: string[] = [];
  if (page.images.join() !== english.images.join()) {
    out.push(
      `shows the images ${page.images.join(", ") || "(none)"}, English ${english.images.join(", ") || "(none)"}`,
    );
  }
  if (page.toc.length !== english.toc.length) out.push(`has ${page.toc.length} h2s, English ${english.toc.length}`);
  return out;
}

/**
 * `page` with English's h2 ids (same count, in order), so a link to a section works in every
 * language and Arabic sections are not all called "section".
 */
function withEnglishAnchors(page: GuidePage, english: GuidePage): GuidePage {
  let n = 0;
  // One pass, in order: the markdown renderer escapes text, so `<h2 id="` only starts a heading.
  const bodyHtml = page.bodyHtml.replace(/<h2 id="[^"]*">/g, () => `<h2 id="${english.toc[n++].id}">`);
  return { ...page, bodyHtml, toc: page.toc.map((h, i) => ({ ...h, id: english.toc[i].id })) };
}

/**
 * The guide in `locale` from `dir<locale>/`: each of English's pages read from the same file name
 * there, checked by the same rules and against English's page; a missing page is reported and
 * English's page is used. Files English does not have are reported.
 */
function loadEdition(
  dir: string,
  locale: Locale,
  english: GuideEdition,
  slugs: Set<string>,
  images: Map<string, GuideImage>,
  report: (problem: string) => void,
): GuideEdition {
  const pages = [english.index, ...english.topics].map((en) => {
    const name = en.slug ? `${en.slug}.md` : INDEX_FILE;
    const file = `${locale}/${name}`;
    const markdown = readOptional(`${dir}${file}`);
    if (markdown === undefined) {
      report(`docs/guide/${file} is missing (English is shown)`);
      return en;
    }
    const page = renderGuidePage({ file, slug: en.slug, locale, markdown }, slugs, images, report);
    const diff = differences(page, en);
    if (!en.slug) {
      const order = linkedTopics(markdown).join();
      if (order !== english.topics.map((t) => t.slug).join()) diff.push(`lists the topics ${order}, unlike English`);
    }
    if (diff.length) report(`docs/guide/${file}: ${diff.join("; ")}`);
    return page.toc.length === en.toc.length ? withEnglishAnchors(page, en) : page;
  });
  let extra: string[] = [];
  try {
    extra = markdownFiles(`${dir}${locale}/`).filter((f) => !slugs.has(f));
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  for (const f of extra) report(`docs/guide/${locale}/${f}.md is not a page of the English guide`);
  const [index, ...topics] = pages;
  return { locale, index, topics, bySlug: new Map(topics.map((t) => [t.slug, t])) };
}

/**
 * Reads and renders the whole guide, in every language, from `dir`. Throws, naming the file and
 * every problem, when a page breaks the rules above, a translation is missing or differs from
 * English, or a topic file is missing from the index (or the index names a file that is not there).
 * With `strict: false` (the server) page problems are only listed in `problems`: a missing
 * screenshot or translation must not keep the server from starting; the tests are strict.
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
  const files = markdownFiles(dir);
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
  const read = (slug: string, file: string): PageSource => ({
    file,
    slug,
    locale: "en",
    markdown: Deno.readTextFileSync(`${dir}${file}`),
  });
  const index = renderGuidePage(read("", INDEX_FILE), slugs, images, report);
  const topics = order.map((slug) => renderGuidePage(read(slug, `${slug}.md`), slugs, images, report));
  const english: GuideEdition = { locale: "en", index, topics, bySlug: new Map(topics.map((t) => [t.slug, t])) };
  const editions = Object.fromEntries(
    LOCALES.map((l) => [l, l === "en" ? english : loadEdition(dir, l, english, slugs, images, report)]),
  ) as Record<Locale, GuideEdition>;
  return { ...english, editions, images, problems };
}
