// Renders a page: Layout + body through the island renderer, with the CSP nonce.

import type { Context } from "hono";
import type { ComponentChildren } from "preact";
import { Layout } from "../../components/Layout.tsx";
import { renderWithIslands } from "../islands/render.ts";
import { PageContext } from "./page_context.ts";
import type { Env } from "./types.ts";

export interface PageOptions {
  title: string;
  status?: number;
  headers?: Record<string, string>;
}

/** Renders `body` inside the site layout. Pages without islands get no script tag at all. */
export function renderPage(c: Context<Env>, body: ComponentChildren, opts: PageOptions): Response {
  const info = {
    user: c.get("user") ?? null,
    csrfToken: c.get("csrfToken") ?? "",
    path: new URL(c.req.url).pathname,
    env: c.get("deps").config.env,
  };
  const { html, script } = renderWithIslands(
    <PageContext.Provider value={info}>
      <Layout title={opts.title}>{body}</Layout>
    </PageContext.Provider>,
    { nonce: c.get("nonce") },
  );
  // A function replacement: `$&`-style patterns in the script must not be interpreted.
  const doc = `<!DOCTYPE html>${html.replace("</body>", () => `${script}</body>`)}`;
  return c.html(doc, (opts.status ?? 200) as 200, { "Cache-Control": "no-store", ...opts.headers });
}
