// Islands in real headless Chromium: the build's bundles hydrate under the strict CSP, CopyButton
// copies (and falls back to a selected field when the clipboard refuses), bundles are cached
// forever, and a page without islands has no script at all.

import assert from "node:assert/strict";
import { Hono } from "hono";
import type { Context } from "hono";
import { h } from "preact";
import type { ComponentChildren, VNode } from "preact";
import type { Page, Response as PwResponse } from "playwright-core";
import { browserUnavailable, launchBrowser } from "./support/browser.ts";
import { securityHeaders } from "../lib/web/middleware.ts";
import type { AppDeps, Env } from "../lib/web/types.ts";
import { loadConfig } from "../lib/common/config.ts";
import { renderWithIslands } from "../lib/web/islands/render.ts";
import { loadManifest } from "../lib/web/islands/manifest.ts";
import { createIslandAssetRoutes } from "../routes/_islands.ts";
import { CopyButton } from "../islands/mod.ts";
import { copyWords } from "../islands/CopyButton.tsx";
import { translator } from "../lib/i18n/translate.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const unavailable = browserUnavailable();
if (unavailable) console.log(`islands browser test skipped: ${unavailable}`);

const MEETING_LINK = "https://meet.example.org/m/01J9ZK $& $' </script>";
const SECRET = "JBSWY3DPEHPK3PXP";

/** Builds the bundles with the real build script into a temporary directory. */
async function buildInto(dir: string): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/build_islands.ts", dir],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, `scripts/build_islands.ts failed:\n${text}`);
}

/** The test server: the app's security headers (strict CSP + nonce), island assets and two pages. */
function testApp(buildDir: string, origin: () => string): Hono<Env> {
  const app = new Hono<Env>();
  app.use("*", async function testDeps(c, next) {
    c.set("deps", { config: loadConfig({ TALKSPACE_ENV: "test", PUBLIC_URL: origin() }) } as unknown as AppDeps);
    await next();
  });
  app.use("*", securityHeaders());
  app.route("/", createIslandAssetRoutes(buildDir));
  // renderPage's splice, without the site layout (which needs a signed-in person and KV).
  const render = (c: Context<Env>, body: ComponentChildren) => {
    const { html, script } = renderWithIslands(
      h("html", { lang: "en" }, h("head", null, h("title", null, "islands")), h("body", null, body)) as VNode,
      { nonce: c.get("nonce"), buildDir },
    );
    return c.html(`<!DOCTYPE html>${html.replace("</body>", `${script}</body>`)}`);
  };
  app.get("/islands", (c) =>
    render(c, [
      h("p", { id: "before" }, "before"),
      h(CopyButton, { text: MEETING_LINK, label: "Copy link", words: copyWords(translator("en")) }),
      h("p", { id: "between" }, "between"),
      // Its words in German: the island says what its props say, in the page's language.
      h(CopyButton, { text: SECRET, label: "Copy secret", words: copyWords(translator("de")) }),
      h("p", { id: "after" }, "after"),
    ]));
  app.get("/plain", (c) => render(c, h("p", null, "no islands here")));
  app.get("/favicon.ico", (c) => c.body(null, 204));
  return app;
}

interface Watched {
  problems: string[];
  scripts: PwResponse[];
}

/** Records console errors, page errors, CSP violations and every script response. */
async function watch(page: Page): Promise<Watched> {
  const w: Watched = { problems: [], scripts: [] };
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") w.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => w.problems.push(`page error: ${e.message}`));
  page.on("response", (r) => {
    if (r.request().resourceType() === "script") w.scripts.push(r);
  });
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return w;
}

/** Waits until the island's button is enabled (its effect ran, so it hydrated), naming what went wrong if not. */
async function waitHydrated(page: Page, label: string, w: Watched): Promise<void> {
  const button = page.locator(".copy-button-action:enabled", { hasText: label });
  try {
    await button.waitFor({ timeout: 10_000 });
  } catch (err) {
    throw new Error(`the "${label}" island did not hydrate; the browser reported: ${JSON.stringify(w.problems)}`, {
      cause: err,
    });
  }
}

/** The nodes of <body> in order, as "tag#id" or "tag.class" (to see hydration kept them in place). */
function bodyOutline(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    [...document.body.children].filter((e) => e.tagName !== "SCRIPT" && e.tagName !== "LINK").map((e) =>
      `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : "." + e.className}`
    )
  );
}

Deno.test({
  name: "islands hydrate in Chromium under the strict CSP, and pages without islands ship no script",
  ignore: unavailable !== null,
  // playwright-core keeps its own pipes and timers around between steps.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    const buildDir = await Deno.makeTempDir({ prefix: "talkspace-islands-browser-" });
    let origin = "";
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      testApp(buildDir, () => origin).fetch,
    );
    origin = `http://127.0.0.1:${server.addr.port}`;
    const browser = await launchBrowser();
    try {
      await buildInto(buildDir);
      const manifest = loadManifest(buildDir);

      await t.step("CopyButton hydrates, copies, says Copied, then reverts", async () => {
        const context = await browser.newContext();
        await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
        const page = await context.newPage();
        const w = await watch(page);
        const res = await page.goto(`${origin}/islands`);
        assert.equal(res?.status(), 200);
        assert.match(res?.headers()["content-security-policy"] ?? "", /script-src 'nonce-[^']+' 'strict-dynamic'/);
        assert.equal(await page.locator("script").count(), 1, "one boot script");

        const link = page.locator(".copy-button-action", { hasText: "Copy link" });
        const secret = page.locator(".copy-button-action", { hasText: "Copy secret" });
        // The server renders the buttons disabled; an effect enables them, so enabled = hydrated.
        await waitHydrated(page, "Copy link", w);
        await waitHydrated(page, "Copy secret", w);

        await link.click();
        await page.locator(".copy-button-action", { hasText: "Copied" }).waitFor({ timeout: 5_000 });
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), MEETING_LINK);
        assert.equal(await secret.textContent(), "Copy secret", "the other island is independent");
        // Reverts to its label after two seconds.
        await page.locator(".copy-button-action", { hasText: "Copy link" }).waitFor({ timeout: 5_000 });

        await secret.click();
        await page.locator(".copy-button-action", { hasText: "Kopiert" }).waitFor({ timeout: 5_000 });
        assert.equal(await page.evaluate(() => navigator.clipboard.readText()), SECRET);

        assert.deepEqual(await bodyOutline(page), [
          "p#before",
          "span.copy-button",
          "p#between",
          "span.copy-button",
          "p#after",
        ]);

        const files = w.scripts.map((r) => new URL(r.url()).pathname).sort();
        // The chunks these two import, transitively (others, such as the lazy janus.js, stay unloaded).
        const needed = new Set<string>();
        const visit = (f: string) => {
          if (needed.has(f)) return;
          needed.add(f);
          for (const dep of manifest.imports[f] ?? []) visit(dep);
        };
        [manifest.runtime, manifest.islands.CopyButton].forEach(visit);
        const expected = [...needed].map((f) => `/_islands/${f}`).sort();
        assert.deepEqual([...new Set(files)], expected, "the runtime, the island and its shared chunks");
        for (const r of w.scripts) {
          assert.equal(r.status(), 200, r.url());
          const headers = await r.allHeaders();
          assert.equal(headers["content-type"], "text/javascript; charset=utf-8", r.url());
          assert.equal(headers["cache-control"], "public, max-age=31536000, immutable", r.url());
        }
        assert.deepEqual(w.problems, []);
        await context.close();
      });

      await t.step(
        "when the clipboard refuses, it says Press Ctrl+C (in its language) and selects a visible field",
        async () => {
          const context = await browser.newContext();
          const page = await context.newPage();
          const w = await watch(page);
          await page.addInitScript(() => {
            Object.defineProperty(navigator.clipboard, "writeText", {
              value: () => Promise.reject(new DOMException("denied", "NotAllowedError")),
            });
          });
          await page.goto(`${origin}/islands`);
          const secret = page.locator(".copy-button-action", { hasText: "Copy secret" });
          await waitHydrated(page, "Copy secret", w);
          await secret.click();
          // This button's words are German (its props): the hint and the field's label say it in German.
          await page.getByText("Zum Kopieren Strg+C drücken").waitFor({ timeout: 5_000 });
          const field = page.locator(".copy-button-field");
          assert.equal(await field.getAttribute("aria-label"), "Zu kopierender Wert");
          assert.equal(await field.count(), 1);
          assert.ok(await field.isVisible());
          assert.equal(await field.inputValue(), SECRET);
          const selection = await field.evaluate((el: HTMLInputElement) => ({
            focused: document.activeElement === el,
            start: el.selectionStart,
            end: el.selectionEnd,
          }));
          assert.deepEqual(selection, { focused: true, start: 0, end: SECRET.length });
          assert.equal(await secret.textContent(), "Copy secret");
          assert.deepEqual(await bodyOutline(page), [
            "p#before",
            "span.copy-button",
            "p#between",
            "span.copy-button",
            "p#after",
          ]);
          assert.deepEqual(w.problems, []);
          await context.close();
        },
      );

      await t.step("a page without islands has no script element and loads no JavaScript", async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        const w = await watch(page);
        const res = await page.goto(`${origin}/plain`);
        assert.equal(res?.status(), 200);
        await page.getByText("no islands here").waitFor();
        assert.equal(await page.locator("script").count(), 0);
        assert.equal(w.scripts.length, 0);
        assert.deepEqual(w.problems, []);
        await context.close();
      });
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(buildDir, { recursive: true });
    }
  },
});
