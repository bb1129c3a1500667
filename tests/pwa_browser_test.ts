// The installable app in real headless Chromium against the real web app (a child process on
// http://localhost, a secure context): the manifest and its icons, Chromium's own installability
// verdict, the service worker taking control, the offline page and cached hashed files with the
// network gone, and a new version (the server restarted with another TALKSPACE_RELEASE, so /sw.js
// changes) announced on an open page, while a meeting page never reloads by itself.

import assert from "node:assert/strict";
import type { BrowserContext, Page } from "playwright-core";
import { browserUnavailable, launchProfileBrowser } from "./support/browser.ts";
import { freePort, startServer } from "./support/server.ts";
import type { RunningServer } from "./support/server.ts";
import { readPngHeader } from "../lib/common/png.ts";
import { loadManifest } from "../lib/web/islands/manifest.ts";

const noBrowser = browserUnavailable();
if (noBrowser) console.log(`pwa browser test skipped: ${noBrowser}`);

interface ManifestIcon {
  src: string;
  sizes: string;
  type: string;
  purpose: string;
}

/** The script URL of the worker controlling `page`, once it does (claim() after the first install). */
async function controllingWorker(page: Page): Promise<string> {
  return await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
    }
    return navigator.serviceWorker.controller!.scriptURL;
  });
}

/** Asks the browser to check /sw.js now and resolves when the new worker has taken over the page. */
async function updateWorker(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const taken = new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
    const reg = await navigator.serviceWorker.ready;
    await reg.update();
    await taken;
  });
}

/** Signs up and in through the forms and starts a meeting from the dashboard; returns its path. */
async function hostMeeting(context: BrowserContext, base: string): Promise<string> {
  const page = await context.newPage();
  const email = `pwa-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const password = "correct horse battery staple 42";
  await page.goto(`${base}/signup`);
  await page.fill("input[name=name]", "Pat Wong");
  await page.fill("input[name=email]", email);
  await page.fill("input[name=password]", password);
  await Promise.all([page.waitForURL(/notice=check-email/), page.click("form[action='/signup'] [type=submit]")]);
  await page.goto(`${base}/signin`);
  await page.fill("form[action='/signin'] input[name=email]", email);
  await page.fill("form[action='/signin'] input[name=password]", password);
  await Promise.all([
    page.waitForURL((u) => u.pathname !== "/signin"),
    page.click("form[action='/signin'] [type=submit]"),
  ]);
  await page.goto(`${base}/dashboard`);
  await Promise.all([page.waitForURL(/\/m\/\d+$/), page.click("form[action='/meetings'] [type=submit]")]);
  const path = new URL(page.url()).pathname;
  await page.close();
  return path;
}

Deno.test({
  name: "pwa: installable, controlled by the worker, offline page and cached assets, new versions announced",
  ignore: noBrowser !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const port = freePort();
    const dataDir = await Deno.makeTempDir({ prefix: "talkspace-pwa-" });
    const env = (release: string) => ({ PORT: String(port), DATA_DIR: dataDir, TALKSPACE_RELEASE: release });
    let server: RunningServer = await startServer(env("one"));
    const base = server.url;
    // A real profile, as a person's browser has: an off-the-record context cannot install apps.
    const context = await launchProfileBrowser(`${dataDir}/profile`, [
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
    ]);
    try {
      await t.step("the manifest is served with its type and fields, and every icon is the size it says", async () => {
        const res = await fetch(`${base}/manifest.webmanifest`);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get("content-type"), "application/manifest+json");
        assert.equal(res.headers.get("cache-control"), "no-cache");
        assert.ok(res.headers.get("etag"));
        const m = await res.json();
        assert.equal(m.name, "Talkspace");
        assert.equal(m.short_name, "Talkspace");
        assert.ok(m.description.length > 20);
        assert.equal(m.lang, "en");
        // Each language's page links its own manifest: the description in it, and its direction.
        for (
          const [lang, dir, word] of [["de", "ltr", "Videomeetings"], ["es", "ltr", "Videorreuniones"], [
            "ar",
            "rtl",
            "فيديو",
          ]]
        ) {
          const other = await (await fetch(`${base}/manifest.webmanifest?lang=${lang}`)).json();
          assert.equal(other.lang, lang);
          assert.equal(other.dir, dir);
          assert.ok(other.description.includes(word), `${lang}: ${other.description}`);
          assert.deepEqual(other.icons, m.icons, `${lang}: the same icons`);
        }
        const unknown = await (await fetch(`${base}/manifest.webmanifest?lang=xx`)).json();
        assert.equal(unknown.lang, "en", "an unknown language gets English");
        assert.equal(m.start_url, "/dashboard");
        assert.equal(m.scope, "/");
        assert.equal(m.display, "standalone");
        assert.match(m.background_color, /^#[0-9a-f]{6}$/);
        assert.match(m.theme_color, /^#[0-9a-f]{6}$/);
        const icons: ManifestIcon[] = m.icons;
        const pngs = icons.filter((i) => i.type === "image/png");
        for (const purpose of ["any", "maskable"]) {
          assert.deepEqual(
            pngs.filter((i) => i.purpose === purpose).map((i) => i.sizes).sort(),
            ["192x192", "512x512"],
            `${purpose} PNG icons`,
          );
        }
        assert.ok(icons.some((i) => i.type === "image/svg+xml" && i.sizes === "any"));
        for (const icon of icons) {
          const got = await fetch(new URL(icon.src, base));
          assert.equal(got.status, 200, icon.src);
          assert.equal(got.headers.get("content-type")?.split(";")[0], icon.type, icon.src);
          assert.match(got.headers.get("cache-control") ?? "", /immutable/, `${icon.src} is a hashed file`);
          const bytes = new Uint8Array(await got.arrayBuffer());
          if (icon.type !== "image/png") continue;
          const header = readPngHeader(bytes);
          assert.equal(`${header.width}x${header.height}`, icon.sizes, icon.src);
        }
      });

      const page = context.pages()[0] ?? await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (msg) => {
        if (msg.type() === "error" || msg.type() === "warning") problems.push(`console ${msg.type()}: ${msg.text()}`);
      });

      await t.step("every page links the manifest; the worker installs and controls the page", async () => {
        await page.goto(`${base}/`);
        assert.equal(await page.getAttribute("link[rel=manifest]", "href"), "/manifest.webmanifest?lang=en");
        assert.equal(await page.locator("meta[name=theme-color]").count(), 2);
        assert.equal(await controllingWorker(page), `${base}/sw.js`);
        const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
        assert.equal(scope, `${base}/`);
        // The first install claims the page without announcing a new version.
        assert.equal(await page.locator(".update-notice").count(), 0);
        assert.deepEqual(problems, [], "no CSP violation or script error");
      });

      await t.step("Chromium reports the app installable", async () => {
        const cdp = await context.newCDPSession(page);
        const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
        // Manifest fields, icons, start URL in scope, a worker, a secure origin: all pass.
        assert.deepEqual(installabilityErrors, []);
        await cdp.detach();
      });

      const islands = loadManifest();
      const runtime = `/_islands/${islands.runtime}`;
      const css = await page.getAttribute("link[rel=stylesheet]", "href");
      assert.match(css ?? "", /^\/static\/app-[0-9a-f]{12}\.css$/);

      await t.step("offline, a navigation shows the offline page, and hashed files come from the cache", async () => {
        // An island bundle met while online (cache-first keeps it).
        assert.equal(await page.evaluate(async (u) => (await fetch(u)).status, runtime), 200);
        await context.setOffline(true);
        const res = await page.goto(`${base}/join?from=pwa-test`);
        assert.ok(res, "the worker answered the navigation");
        assert.ok(res.fromServiceWorker(), "the offline page came from the worker");
        assert.equal(page.url(), `${base}/join?from=pwa-test`, "the address stays the one asked for");
        await page.getByRole("heading", { name: "You're offline" }).waitFor();
        assert.equal(await page.getAttribute("a[data-offline-retry]", "href"), "");
        // The offline page is styled: its stylesheet is the precached hashed app.css.
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        assert.notEqual(bg, "rgba(0, 0, 0, 0)", "app.css applied while offline");
        const cached = await page.evaluate(async (urls) => {
          const out: Record<string, number> = {};
          for (const u of urls) out[u] = await fetch(u).then((r) => r.status, () => 0);
          return out;
        }, [css!, runtime, "/api/v1/me"]);
        assert.deepEqual(cached, { [css!]: 200, [runtime]: 200, "/api/v1/me": 0 });
        // Back online, the offline page loads the address again by itself (Retry does the same by hand).
        const back = page.waitForEvent("load");
        await context.setOffline(false);
        await back;
        assert.equal(page.url(), `${base}/join?from=pwa-test`);
        await page.getByRole("heading", { name: "Join a meeting" }).waitFor();
      });

      const meetingPath = await hostMeeting(context, base);
      const meeting = await context.newPage();
      await meeting.goto(`${base}${meetingPath}`);
      await meeting.locator("button.room-join").waitFor();
      assert.equal(await controllingWorker(meeting), `${base}/sw.js`);
      await page.goto(`${base}/signin`);
      await controllingWorker(page);

      let meetingNavigations = 0;
      meeting.on("framenavigated", (f) => f === meeting.mainFrame() && meetingNavigations++);
      const marked = (p: Page) => p.evaluate(() => (globalThis as { __stillHere?: boolean }).__stillHere === true);
      for (const p of [page, meeting]) {
        await p.evaluate(() => (globalThis as { __stillHere?: boolean }).__stillHere = true);
      }

      await t.step("a new version: the open page offers Reload, the meeting page only says so", async () => {
        const before = await (await fetch(`${base}/sw.js`)).text();
        await server.stop();
        server = await startServer(env("two"));
        const after = await (await fetch(`${base}/sw.js`)).text();
        assert.notEqual(after, before, "a new release is a new worker, byte for byte");

        await updateWorker(page);
        const notice = page.locator(".update-notice");
        await notice.waitFor();
        assert.match((await notice.textContent()) ?? "", /A new version of Talkspace is available/);
        assert.equal(await marked(page), true, "the page did not reload by itself");

        // The meeting page was taken over by the same new worker (one registration for the site).
        const meetingNotice = meeting.locator(".update-notice");
        await meetingNotice.waitFor();
        assert.match((await meetingNotice.textContent()) ?? "", /Reload after the meeting/);
        assert.equal(await meeting.locator(".update-notice button", { hasText: "Reload" }).count(), 0);
        assert.equal(await marked(meeting), true, "the meeting page did not reload");
        assert.equal(meetingNavigations, 0);
        assert.ok(await meeting.locator("button.room-join").isVisible(), "the meeting is still there");
        await meeting.click(".update-notice button");
        await meetingNotice.waitFor({ state: "detached" });

        // Reload is the person's choice, and then the page runs on the new worker's shell.
        await Promise.all([page.waitForEvent("load"), page.click(".update-notice button")]);
        assert.equal(await marked(page), false);
        assert.equal(await page.locator(".update-notice").count(), 0);
      });

      await t.step("the old version's shell cache is gone, the new one holds the offline page", async () => {
        const caches = await page.evaluate(async () => {
          const names = await globalThis.caches.keys();
          const shells = names.filter((n) => n.startsWith("talkspace-shell-"));
          const offline = shells.length === 1
            ? await (await globalThis.caches.open(shells[0])).match("/offline")
            : null;
          return { shells: shells.length, offline: offline ? await offline.text() : "" };
        });
        assert.equal(caches.shells, 1);
        assert.match(caches.offline, /You're offline/);
        assert.doesNotMatch(caches.offline, /Sign out/, "the cached offline page carries no one's navigation");
      });
      // Offline, the API request above and the manifest (never cached) fail to load, as they should.
      assert.deepEqual(problems.filter((p) => !/net::ERR_INTERNET_DISCONNECTED/.test(p)), []);
    } finally {
      await context.close();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
