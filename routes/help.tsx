// /help…: the user guide (docs/guide/) as server-rendered pages in the request's language — the
// index of topics at /help, each topic at /help/<topic>, the screenshots (shared by all languages)
// at /help/images/<name>. Every language's Markdown is rendered once, when this module loads
// (lib/web/guide.ts); requests only put the cached HTML in the layout.

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { renderPage } from "../lib/web/render.tsx";
import { NotFound } from "../lib/common/errors.ts";
import { GUIDE_IMAGE_RE, loadGuide } from "../lib/web/guide.ts";
import type { GuideEdition, GuidePage } from "../lib/web/guide.ts";
import { dirOf } from "../lib/i18n/locales.ts";
import { IMMUTABLE } from "./_islands.ts";
import { logger } from "../lib/common/log.ts";
import { usePage } from "../lib/web/page_context.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";
import type { Context } from "hono";

const guide = loadGuide(undefined, { strict: false });
for (const problem of guide.problems) logger("help").warn("user guide problem", { problem });
/** Image URLs without the current `?v=` (an old page, a hand-typed link) are cached briefly. */
const SHORT_CACHE = "public, max-age=3600";

/** `lang` and `dir` for text in `written` on a page in `locale`: none when they are the same. */
function marks(written: GuidePage["locale"], locale: GuidePage["locale"]) {
  return written === locale ? {} : { lang: written, dir: dirOf(written) };
}

function GuideArticle({ page, edition }: { page: GuidePage; edition: GuideEdition }) {
  const { t, locale } = usePage();
  // A page the guide lacks in this language is English's: its text says so to screen readers and people.
  const other = marks(page.locale, locale);
  return (
    <article class="card guide" data-guide-page={page.slug || "index"}>
      {page.locale !== locale && <p class="notice info">{t("help.inEnglish")}</p>}
      {/* The HTML comes from lib/web/markdown.ts, which escapes all text and allows only safe links. */}
      <div {...other} dangerouslySetInnerHTML={{ __html: page.h1Html }} />
      {page.toc.length > 1 && (
        <nav class="guide-toc" aria-label={t("help.onThisPage")}>
          <p class="guide-toc-title">{t("help.onThisPage")}</p>
          <ul {...other}>
            {page.toc.map((h) => (
              <li key={h.id}>
                <a href={`#${h.id}`}>{h.text}</a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <div class="guide-body" {...other} dangerouslySetInnerHTML={{ __html: page.bodyHtml }} />
      {page.slug && (
        <nav class="guide-topics" aria-label={t("help.topics")}>
          <p>
            <a href="/help">{t("help.allTopics")}</a>
          </p>
          <ul>
            {edition.topics.map((topic) => (
              <li key={topic.slug} {...marks(topic.locale, locale)}>
                <a href={`/help/${topic.slug}`} aria-current={topic.slug === page.slug ? "page" : undefined}>
                  {topic.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </article>
  );
}

/** The guide in the request's language. */
function editionFor(c: Context<Env>): GuideEdition {
  return guide.editions[requestLocale(c)];
}

export const helpRoutes = new Hono<Env>();

helpRoutes.get(
  "/help",
  (c) =>
    renderPage(c, <GuideArticle page={editionFor(c).index} edition={editionFor(c)} />, {
      title: translator(requestLocale(c))("site.help"),
      styles: ["guide.css"],
      // renderPage's anonymous cache keys on the request's language too, so each language is cached apart.
      cacheKey: "",
    }),
);

helpRoutes.get("/help/images/:name", (c) => {
  const name = c.req.param("name");
  const img = GUIDE_IMAGE_RE.test(name) ? guide.images.get(name) : undefined;
  if (!img) throw new NotFound("help.noImage");
  c.header("Content-Type", img.type);
  c.header("Cache-Control", c.req.query("v") === img.hash ? IMMUTABLE : SHORT_CACHE);
  c.header("ETag", `"${img.hash}"`);
  if (c.req.header("If-None-Match") === `"${img.hash}"`) return c.body(null, 304);
  return c.body(img.data);
});

helpRoutes.get("/help/:topic", (c) => {
  const edition = editionFor(c);
  const page = edition.bySlug.get(c.req.param("topic"));
  if (!page) throw new NotFound("help.noTopic");
  // The key is a topic that exists, never raw request text (renderPage adds the language).
  return renderPage(c, <GuideArticle page={page} edition={edition} />, {
    title: page.title,
    styles: ["guide.css"],
    cacheKey: page.slug,
  });
});
