// /help…: the user guide (docs/guide/) as server-rendered pages — the index of topics at /help,
// each topic at /help/<topic>, its screenshots at /help/images/<name>. The Markdown is rendered
// once, when this module loads (lib/web/guide.ts); requests only put the cached HTML in the layout.

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { renderPage } from "../lib/web/render.tsx";
import { NotFound } from "../lib/common/errors.ts";
import { GUIDE_IMAGE_RE, loadGuide } from "../lib/web/guide.ts";
import type { GuidePage } from "../lib/web/guide.ts";
import { IMMUTABLE } from "./_islands.ts";
import { logger } from "../lib/common/log.ts";
import { usePage } from "../lib/web/page_context.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";

const guide = loadGuide(undefined, { strict: false });
for (const problem of guide.problems) logger("help").warn("user guide problem", { problem });
/** Image URLs without the current `?v=` (an old page, a hand-typed link) are cached briefly. */
const SHORT_CACHE = "public, max-age=3600";

function GuideArticle({ page }: { page: GuidePage }) {
  const { t, locale } = usePage();
  // The guide itself is written in English only: its text says so to screen readers and people.
  const english = locale === "en" ? undefined : "en";
  return (
    <article class="card guide" data-guide-page={page.slug || "index"}>
      {english && <p class="notice info">{t("help.inEnglish")}</p>}
      {/* The HTML comes from lib/web/markdown.ts, which escapes all text and allows only safe links. */}
      <div lang={english} dir={english && "ltr"} dangerouslySetInnerHTML={{ __html: page.h1Html }} />
      {page.toc.length > 1 && (
        <nav class="guide-toc" aria-label={t("help.onThisPage")}>
          <p class="guide-toc-title">{t("help.onThisPage")}</p>
          <ul lang={english} dir={english && "ltr"}>
            {page.toc.map((h) => (
              <li key={h.id}>
                <a href={`#${h.id}`}>{h.text}</a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      <div
        class="guide-body"
        lang={english}
        dir={english && "ltr"}
        dangerouslySetInnerHTML={{ __html: page.bodyHtml }}
      />
      {page.slug && (
        <nav class="guide-topics" aria-label={t("help.topics")}>
          <p>
            <a href="/help">{t("help.allTopics")}</a>
          </p>
          <ul lang={english} dir={english && "ltr"}>
            {guide.topics.map((t) => (
              <li key={t.slug}>
                <a href={`/help/${t.slug}`} aria-current={t.slug === page.slug ? "page" : undefined}>{t.title}</a>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </article>
  );
}

export const helpRoutes = new Hono<Env>();

helpRoutes.get(
  "/help",
  (c) =>
    renderPage(c, <GuideArticle page={guide.index} />, {
      title: translator(requestLocale(c))("site.help"),
      styles: ["guide.css"],
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
  const page = guide.bySlug.get(c.req.param("topic"));
  if (!page) throw new NotFound("help.noTopic");
  // The key is a topic that exists, never raw request text.
  return renderPage(c, <GuideArticle page={page} />, { title: page.title, styles: ["guide.css"], cacheKey: page.slug });
});
