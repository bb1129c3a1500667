// The whole account journey in real headless Chromium against the real server process:
// sign up → verify the email from the development outbox → turn on TOTP → sign out →
// sign in with a TOTP code → recover the password through the emailed link → sign in again.

import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { browserUnavailable, launchBrowser } from "./support/browser.ts";
import { startServer } from "./support/server.ts";

interface OutboxMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

async function outbox(base: string): Promise<OutboxMessage[]> {
  const res = await fetch(`${base}/dev/outbox.json`);
  assert.equal(res.status, 200, "the development outbox answers");
  return await res.json();
}

/** Polls the outbox until a message to `to` carries a link under `pathPrefix`; returns that link. */
async function waitForLink(base: string, to: string, pathPrefix: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    for (const m of await outbox(base)) {
      if (m.to.toLowerCase() !== to) continue;
      for (const url of m.text.match(/https?:\/\/[^\s"'<>]+/g) ?? []) {
        if (new URL(url).pathname.startsWith(pathPrefix)) return url;
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${to} with a ${pathPrefix} link`);
}

const skip = browserUnavailable();

Deno.test({
  name: "account journey in Chromium: sign up, verify, TOTP, sign in with TOTP, password recovery",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startServer({ TALKSPACE_ENV: "development" });
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const problems: string[] = [];
      // The deliberate wrong-password attempt answers 422, which Chromium logs as a failed load.
      page.on("console", (m) => {
        if (m.type() === "error" && !/status of 422/.test(m.text())) problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(String(e)));
      const base = server.url;
      const email = `ada-${crypto.randomUUID().slice(0, 8)}@example.org`;

      // Sign up.
      await page.goto(`${base}/signup`);
      await page.fill('form[action="/signup"] input[name="name"]', "Ada Lovelace");
      await page.fill('form[action="/signup"] input[name="email"]', email);
      await page.fill('form[action="/signup"] input[name="password"]', "correct horse battery");
      await Promise.all([page.waitForURL(/notice=check-email/), page.click('form[action="/signup"] [type="submit"]')]);
      // Sign-up signs no one in (its answer must not tell whether the address had an account).
      await page.goto(`${base}/signin`);
      await page.fill('form[action="/signin"] input[name="email"]', email);
      await page.fill('form[action="/signin"] input[name="password"]', "correct horse battery");
      await Promise.all([page.waitForURL(`${base}/dashboard`), page.click('form[action="/signin"] [type="submit"]')]);

      // Verify the email address through the link in the outbox.
      const verifyLink = await waitForLink(base, email, "/verify/");
      await page.goto(verifyLink);
      assert.equal((await page.request.get(`${base}/api/v1/me`).then((r) => r.json())).emailVerified, true);

      // Turn on two-factor: read the otpauth URI from the enrollment page, answer with a code.
      await page.goto(`${base}/account/totp`);
      const uri = await page.getAttribute("[data-otpauth-uri]", "data-otpauth-uri");
      assert(uri, "the enrollment page carries the otpauth URI");
      const totp = OTPAuth.URI.parse(uri) as OTPAuth.TOTP;
      assert.match(await page.content(), /<svg|data:image\/svg\+xml/, "a QR code is shown as SVG");
      await page.fill('form[action="/account/totp/confirm"] input[name="code"]', totp.generate());
      await Promise.all([
        page.waitForLoadState("load"),
        page.click('form[action="/account/totp/confirm"] [type="submit"]'),
      ]);
      // Within <main>: the <head> has words of the same shape (theme-color, apple-touch).
      const recoveryCodes = (await page.locator("main").innerHTML()).match(/\b[a-z0-9]{5}-[a-z0-9]{5}\b/g) ?? [];
      assert.equal(new Set(recoveryCodes).size, 10, "ten recovery codes are shown once");
      assert.equal((await page.request.get(`${base}/api/v1/me`).then((r) => r.json())).twoFactorEnabled, true);

      // Sign out, then sign in: password first, then a TOTP code from the next time step
      // (±1 step drift is accepted, and a step newer than the confirm code's is not a replay).
      await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/signout"] [type="submit"]')]);
      assert.equal((await page.request.get(`${base}/api/v1/me`)).status(), 401);
      await page.goto(`${base}/signin`);
      await page.fill('form[action="/signin"] input[name="email"]', email);
      await page.fill('form[action="/signin"] input[name="password"]', "correct horse battery");
      await Promise.all([page.waitForURL(/\/signin\/totp/), page.click('form[action="/signin"] [type="submit"]')]);
      await page.fill("input[name=code]", totp.generate({ timestamp: Date.now() + 30_000 }));
      await Promise.all([
        page.waitForURL(`${base}/dashboard`),
        page.click('form[action^="/signin/totp"] [type="submit"]'),
      ]);
      assert.equal((await page.request.get(`${base}/api/v1/me`).then((r) => r.json())).email, email);

      // Forget the password: sign out, ask for a reset link, set a new password through it.
      await Promise.all([page.waitForURL(`${base}/`), page.click('form[action="/signout"] [type="submit"]')]);
      await page.goto(`${base}/reset`);
      await page.fill('form[action="/reset"] input[name="email"]', email);
      await Promise.all([page.waitForLoadState("load"), page.click('form[action="/reset"] [type="submit"]')]);
      const resetLink = await waitForLink(base, email, "/reset/");
      await page.goto(resetLink);
      await page.fill('input[name="password"]', "a brand new passphrase");
      await Promise.all([page.waitForURL(/\/signin/), page.click('form [type="submit"]')]);

      // The link is single use.
      const again = await page.request.get(resetLink);
      assert(again.status() >= 400, `a used reset link is refused (got ${again.status()})`);

      // Old password no longer works; the new one does, with a recovery code as second factor.
      await page.goto(`${base}/signin`);
      await page.fill('form[action="/signin"] input[name="email"]', email);
      await page.fill('form[action="/signin"] input[name="password"]', "correct horse battery");
      await page.click('form[action="/signin"] [type="submit"]');
      await page.waitForSelector("text=incorrect");
      await page.fill('form[action="/signin"] input[name="email"]', email);
      await page.fill('form[action="/signin"] input[name="password"]', "a brand new passphrase");
      await Promise.all([page.waitForURL(/\/signin\/totp/), page.click('form[action="/signin"] [type="submit"]')]);
      await page.fill("input[name=code]", recoveryCodes[0]!);
      // A used recovery code lands on the two-factor page, which says how many codes are left.
      await Promise.all([
        page.waitForURL(/\/account\/totp\?notice=recovery-used/),
        page.click('form[action^="/signin/totp"] [type="submit"]'),
      ]);
      await page.waitForSelector("text=9 of 10");
      assert.equal((await page.request.get(`${base}/api/v1/me`).then((r) => r.json())).email, email);
      assert.deepEqual(problems, [], "no console errors or CSP violations");
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
      await Deno.remove(server.dataDir, { recursive: true });
    }
  },
});
if (skip) console.log(`skipped browser account journey: ${skip}`);
