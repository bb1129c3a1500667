// Renders a page: Layout + body through the island renderer, with the CSP nonce.

import type { Context } from "hono";
import type { ComponentChildren } from "preact";
import { Layout } from "../../components/Layout.tsx";
import { renderWithIslands } from "./islands/render.ts";
import { PageContext } from "./page_context.ts";
import type { PageInfo } from "./page_context.ts";
import type { Env } from "./types.ts";
import { requestLocale } from "./i18n.ts";
import type { Locale } from "../i18n/locales.ts";
import { translator } from "../i18n/translate.ts";
import { randomToken } from "../common/ids.ts";

export interface PageOptions {
  title: string;
  status?: number;
  headers?: Record<string, string>;
  /** Extra stylesheets for this page (after the site's). */
  styles?: string[];
  /**
   * "app": the page is an app filling the viewport (the meeting): no site header or footer, and
   * the page itself never scrolls; "site" (default): the site's header, content, footer.
   */
  frame?: "site" | "app";
  /**
   * For a page that, when nobody is signed in, depends on nothing but its path and this key: it
   * is rendered once and reused, with the per-request CSRF token and CSP nonce filled in. Build
   * the key only from validated values (never raw query text), so the cache stays small.
   */
  cacheKey?: string;
  /**
   * Render as if nobody were signed in, whoever asks: for a page one copy of which is kept for
   * everyone on a device (the service worker's offline page).
   */
  anonymous?: boolean;
}

// Random per process, so no page content can contain them by accident or on purpose.
const CSRF_MARK = `csrf${randomToken(12)}`;
const NONCE_MARK = `nonce${randomToken(12)}`;
const MAX_CACHED_PAGES = 64;

/** A rendered page kept as UTF-8 bytes between the places the per-request values go. */
interface CachedPage {
  parts: Uint8Array[];
  /** What goes after parts[i] (one fewer than parts). */
  slots: ("csrf" | "nonce")[];
  /** Total bytes of the parts. */
  size: number;
}

const anonymousPages = new Map<string, CachedPage>();
const encoder = new TextEncoder();

function splitPage(doc: string): CachedPage {
  const parts: Uint8Array[] = [];
  const slots: CachedPage["slots"] = [];
  const re = new RegExp(`${CSRF_MARK}|${NONCE_MARK}`, "g");
  let at = 0;
  for (const m of doc.matchAll(re)) {
    parts.push(encoder.encode(doc.slice(at, m.index)));
    slots.push(m[0] === CSRF_MARK ? "csrf" : "nonce");
    at = m.index + m[0].length;
  }
  parts.push(encoder.encode(doc.slice(at)));
  return { parts, slots, size: parts.reduce((n, p) => n + p.length, 0) };
}

/** Joins a cached page's bytes with this response's values (both ASCII, base64url). */
function fillPage(page: CachedPage, values: { csrf: string; nonce: string }): Uint8Array<ArrayBuffer> {
  let size = page.size;
  for (const s of page.slots) size += values[s].length;
  const out = new Uint8Array(size);
  const last = page.slots.length;
  let at = 0;
  for (let i = 0; i <= last; i++) {
    const part = page.parts[i];
    out.set(part, at);
    at += part.length;
    if (i < last) {
      // ASCII: one byte per character, written in place (no TextEncoder allocation per value).
      const v = values[page.slots[i]];
      for (let j = 0; j < v.length; j++) out[at + j] = v.charCodeAt(j);
      at += v.length;
    }
  }
  return out;
}

/**
 * The response for a page: the body through Hono (so headers a route set, such as cookies, are
 * kept), then our headers set on it (in Deno, headers handed to `new Response()` cost far more).
 */
function pageResponse(
  c: Context<Env>,
  body: string | Uint8Array<ArrayBuffer>,
  status: number,
  headers: Record<string, string> | undefined,
): Response {
  const res = c.body(body, status as 200);
  const h = res.headers;
  h.set("Content-Type", "text/html; charset=UTF-8");
  h.set("Cache-Control", "no-store");
  if (headers) { for (const name in headers) h.set(name, headers[name]); }
  return res;
}

/** Renders `body` inside the site layout. Pages without islands get no script tag at all. */
export function renderPage(c: Context<Env>, body: ComponentChildren, opts: PageOptions): Response {
  const user = opts.anonymous ? null : c.get("user") ?? null;
  const path = c.req.path;
  const status = opts.status ?? 200;
  const csrfToken = c.get("csrfToken") ?? "";
  const nonce = c.get("nonce");
  const locale = requestLocale(c);
  if (opts.cacheKey !== undefined && !user) {
    const key = `${status} ${locale} ${path} ${opts.cacheKey}`;
    let page = anonymousPages.get(key);
    if (page === undefined) {
      page = splitPage(
        renderDocument(c, body, opts, { user: null, path, csrfToken: CSRF_MARK, nonce: NONCE_MARK, locale }),
      );
      if (anonymousPages.size >= MAX_CACHED_PAGES) anonymousPages.delete(anonymousPages.keys().next().value!);
      anonymousPages.set(key, page);
    }
    return pageResponse(c, fillPage(page, { csrf: csrfToken, nonce }), status, opts.headers);
  }
  return pageResponse(
    c,
    renderDocument(c, body, opts, { user, path, csrfToken, nonce, locale }),
    status,
    opts.headers,
  );
}

function renderDocument(
  c: Context<Env>,
  body: ComponentChildren,
  opts: PageOptions,
  req: { user: PageInfo["user"]; path: string; csrfToken: string; nonce: string; locale: Locale },
): string {
  const info: PageInfo = {
    user: req.user,
    csrfToken: req.csrfToken,
    path: req.path,
    env: c.get("deps").config.env,
    locale: req.locale,
    t: translator(req.locale),
    nonce: req.nonce,
  };
  const { html, script } = renderWithIslands(
    <PageContext.Provider value={info}>
      <Layout title={opts.title} styles={opts.styles} frame={opts.frame}>{body}</Layout>
    </PageContext.Provider>,
    { nonce: req.nonce },
  );
  // A function replacement: `$&`-style patterns in the script must not be interpreted.
  return `<!DOCTYPE html>${html.replace("</body>", () => `${script}</body>`)}`;
}
