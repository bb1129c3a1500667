// GET /offline: what the service worker shows for a page the network cannot reach (kept from install on).

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { renderPage } from "../lib/web/render.tsx";
import { OFFLINE_PATH } from "../lib/web/pwa.ts";

export const offlineRoutes = new Hono<Env>();

offlineRoutes.get(OFFLINE_PATH, (c) =>
  renderPage(
    c,
    <section class="card narrow offline-page">
      <h1>You're offline</h1>
      <p>Talkspace can't reach its server from here. Check your connection, then try again.</p>
      {/* An empty href is the address the page was asked for: Retry loads it again, with no script. */}
      <p>
        <a class="button" href="" data-offline-retry>Retry</a>
      </p>
    </section>,
    // The worker keeps one copy for everyone on this device, so it must not show one person's
    // navigation: rendered as signed out, once per process.
    { title: "Offline", anonymous: true, cacheKey: "" },
  ));
