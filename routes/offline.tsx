// GET /offline: what the service worker shows for a page the network cannot reach (kept from install on).

import { Hono } from "hono";
import type { Env } from "../lib/web/types.ts";
import { renderPage } from "../lib/web/render.tsx";
import { OFFLINE_PATH } from "../lib/web/pwa.ts";
import { usePage } from "../lib/web/page_context.ts";
import { requestLocale } from "../lib/web/i18n.ts";
import { translator } from "../lib/i18n/translate.ts";

export const offlineRoutes = new Hono<Env>();

function OfflinePage() {
  const { t } = usePage();
  return (
    <section class="card narrow offline-page">
      <h1>{t("offline.title")}</h1>
      <p>{t("offline.text")}</p>
      {/* An empty href is the address the page was asked for: Retry loads it again, with no script. */}
      <p>
        <a class="button" href="" data-offline-retry>{t("offline.retry")}</a>
      </p>
    </section>
  );
}

offlineRoutes.get(OFFLINE_PATH, (c) =>
  renderPage(
    c,
    <OfflinePage />,
    // The worker keeps one copy for everyone on this device, so it must not show one person's
    // navigation: rendered as signed out, once per process.
    { title: translator(requestLocale(c))("offline.pageTitle"), anonymous: true, cacheKey: "" },
  ));
