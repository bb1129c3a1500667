// Renders a page: Layout + body through the island renderer, with the CSP nonce.

import type { Context } from "hono";
import type { ComponentChildren } from "preact";
import { Layout } from "../../components/Layout.tsx";
import { renderWithIslands } from "../islands/render.ts";
import { PageContext } from "./page_context.ts";
import type { PageInfo } from "./page_context.ts";
import type { Env } from "./types.ts";
import { randomToken } from "../ids.ts";

export interface PageOptions {
  title: string;
  status?: number;
  headers?: Record<string, string>;
  /** Extra stylesheets for this page (after the site's). */
  styles?: string[];
  /**
   * For a page that, when nobody is signed in, depends on nothing but its path and this key: it
   * is rendered once and reused, with the per-request CSRF token and CSP nonce filled in. Build
   * the key only from validated values (never raw query text), so the cache stays small.
   */
  cacheKey?: string;
}

// Random per process, so no page content can contain them by accident or on purpose.
const CSRF_MARK = `csrf${randomToken(12)}`;
const NONCE_MARK = `nonce${randomToken(12)}`;
const MAX_CACHED_PAGES = 64;
const anonymousPages = new Map<string, string>();

/** Renders `body` inside the site layout. Pages without islands get no script tag at all. */
export function renderPage(c: Context<Env>, body: ComponentChildren, opts: PageOptions): Response {
  const user = c.get("user") ?? null;
  const path = c.req.path;
  const status = opts.status ?? 200;
  const headers = { "Cache-Control": "no-store", ...opts.headers };
  const csrfToken = c.get("csrfToken") ?? "";
  const nonce = c.get("nonce");
  if (opts.cacheKey !== undefined && !user) {
    const key = `${status} ${path} ${opts.cacheKey}`;
    let doc = anonymousPages.get(key);
    if (doc === undefined) {
      doc = renderDocument(c, body, opts, { user: null, path, csrfToken: CSRF_MARK, nonce: NONCE_MARK });
      if (anonymousPages.size >= MAX_CACHED_PAGES) anonymousPages.delete(anonymousPages.keys().next().value!);
      anonymousPages.set(key, doc);
    }
    return c.html(doc.replaceAll(CSRF_MARK, csrfToken).replaceAll(NONCE_MARK, nonce), status as 200, headers);
  }
  return c.html(renderDocument(c, body, opts, { user, path, csrfToken, nonce }), status as 200, headers);
}

function renderDocument(
  c: Context<Env>,
  body: ComponentChildren,
  opts: PageOptions,
  req: { user: PageInfo["user"]; path: string; csrfToken: string; nonce: string },
): string {
  const info: PageInfo = { user: req.user, csrfToken: req.csrfToken, path: req.path, env: c.get("deps").config.env };
  const { html, script } = renderWithIslands(
    <PageContext.Provider value={info}>
      <Layout title={opts.title} styles={opts.styles}>{body}</Layout>
    </PageContext.Provider>,
    { nonce: req.nonce },
  );
  // A function replacement: `$&`-style patterns in the script must not be interpreted.
  return `<!DOCTYPE html>${html.replace("</body>", () => `${script}</body>`)}`;
}
