// The site frame: header with navigation for the signed-in person, main content, footer.

import type { ComponentChildren } from "preact";
import { usePage } from "../lib/web/page_context.ts";
import { CsrfField } from "./Form.tsx";
import { staticUrl } from "../lib/web/islands/assets.ts";
import { dirOf, LOCALE_NAMES, LOCALES } from "../lib/i18n/locales.ts";
import { PWA_SCRIPT, THEME_COLORS } from "../lib/web/pwa.ts";

export function Layout(
  { title, styles = [], frame = "site", children }: {
    title: string;
    styles?: string[];
    frame?: "site" | "app";
    children: ComponentChildren;
  },
) {
  const { user, path, locale, t, nonce } = usePage();
  const dir = dirOf(locale);
  /** Marks the link to the page being shown (or its area), for screen readers and the header's style. */
  const current = (href: string) => path === href || path.startsWith(`${href}/`) ? "page" : undefined;
  const head = (
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover" />
      <title>{title ? `${title} · Talkspace` : "Talkspace"}</title>
      {/* Content-hashed URLs from the static build (cached for a year), plain /static/ without one. */}
      <link rel="stylesheet" href={staticUrl("app.css")} />
      {styles.map((href) => <link rel="stylesheet" href={staticUrl(href)} key={href} />)}
      <link rel="icon" href={staticUrl("favicon.svg")} type="image/svg+xml" />
      {/* The installable app (lib/web/pwa.ts): manifest, title-bar colours per scheme, home-screen icon. */}
      <link rel="manifest" href={`/manifest.webmanifest?lang=${locale}`} />
      <meta name="theme-color" content={THEME_COLORS.light} media="(prefers-color-scheme: light)" />
      <meta name="theme-color" content={THEME_COLORS.dark} media="(prefers-color-scheme: dark)" />
      {/* iOS rounds the corners itself and shows transparency as black: the full-bleed icon. */}
      <link rel="apple-touch-icon" href={staticUrl("icon-maskable-192.png")} />
      {/* Registers the service worker and announces new versions; deferred, so it never holds up the page. */}
      <script src={staticUrl(PWA_SCRIPT)} nonce={nonce} defer />
    </head>
  );
  if (frame === "app") {
    // The meeting: one app filling the viewport, its own controls instead of the site's navigation.
    return (
      <html lang={locale} dir={dir} class="is-app">
        {head}
        <body class="is-app">
          <main class="app-main">{children}</main>
        </body>
      </html>
    );
  }
  return (
    <html lang={locale} dir={dir}>
      {head}
      <body>
        <header class="site-header">
          <a class="brand" href="/">Talkspace</a>
          <nav aria-label={t("site.nav")}>
            {user
              ? (
                <>
                  <a href="/dashboard" aria-current={current("/dashboard")}>{t("site.dashboard")}</a>
                  <a href="/meetings" aria-current={current("/meetings")}>{t("site.meetings")}</a>
                  <a href="/recordings" aria-current={current("/recordings")}>{t("recordings.nav")}</a>
                  <a href="/account" aria-current={current("/account")}>{t("site.account")}</a>
                  {user.role === "admin" && (
                    <a href="/admin/users" aria-current={current("/admin")}>{t("site.admin")}</a>
                  )}
                  <form method="post" action="/signout" class="inline">
                    <CsrfField />
                    <button type="submit" class="link">{t("site.signOut")}</button>
                  </form>
                </>
              )
              : (
                <>
                  <a href="/signin" aria-current={current("/signin")}>{t("site.signIn")}</a>
                  <a href="/signup" class="button" aria-current={current("/signup")}>{t("site.signUp")}</a>
                </>
              )}
          </nav>
        </header>
        <main>{children}</main>
        <footer class="site-footer">
          <p>
            {t("site.footer")} · <a href="/help" aria-current={current("/help")}>{t("site.help")}</a>
          </p>
          <LanguagePicker />
        </footer>
      </body>
    </html>
  );
}

/** Chooses the site's language (kept on the account, or in this browser for visitors); works without JavaScript. */
function LanguagePicker() {
  const { path, locale, t } = usePage();
  return (
    <form method="post" action="/language" class="language-picker">
      <CsrfField />
      <input type="hidden" name="back" value={path} />
      <label for="f-locale">{t("site.language")}</label>{" "}
      <select id="f-locale" name="locale">
        {LOCALES.map((l) => <option key={l} value={l} lang={l} selected={l === locale}>{LOCALE_NAMES[l]}</option>)}
      </select>{" "}
      <button type="submit" class="button small secondary">{t("site.languageChange")}</button>
    </form>
  );
}
