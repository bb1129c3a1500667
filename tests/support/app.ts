// In-process test harness: the real app over an in-memory KV, a capturing mailer, and a small
// cookie-keeping client that sends same-origin form posts the way a browser does.

import type { Store } from "../../lib/common/store.ts";
import { loadConfig } from "../../lib/common/config.ts";
import type { Config } from "../../lib/common/config.ts";
import { createWebApp } from "../../routes/mod.ts";
import type { Mailer, MailMessage } from "../../lib/email/mailer.ts";
import { loadSigningKey } from "../../lib/common/server_secret.ts";
import { setQuiet } from "../../lib/common/log.ts";
import { accountMailHandler } from "../../lib/accounts/emails.ts";
import { poll } from "./wait.ts";
import type { AppDeps } from "../../lib/web/types.ts";

setQuiet(true);

export class CapturingMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  send(message: MailMessage): Promise<void> {
    this.sent.push(message);
    return Promise.resolve();
  }
  /** The newest message to `to`, or throws so a test failure names what was missing. */
  last(to: string): MailMessage {
    const m = this.sent.findLast((x) => x.to.toLowerCase() === to.toLowerCase());
    if (!m) throw new Error(`no email was sent to ${to}`);
    return m;
  }
  /**
   * Waits (polling, bounded) until a message to `to` matching `subject` has arrived, for mail that
   * goes through the KV queue (sign-up, reset), and returns the newest such message.
   */
  async arrival(to: string, subject: RegExp = /./, ms = 10_000): Promise<MailMessage> {
    const find = () => this.sent.findLast((x) => x.to.toLowerCase() === to.toLowerCase() && subject.test(x.subject));
    return await poll(`an email to ${to} matching ${subject}`, find, ms, 5);
  }

  /** The first link in the newest message to `to` whose path starts with `pathPrefix`. */
  link(to: string, pathPrefix: string): string {
    const m = this.last(to);
    const re = /https?:\/\/[^\s"'<>]+/g;
    for (const url of m.text.match(re) ?? []) if (new URL(url).pathname.startsWith(pathPrefix)) return url;
    throw new Error(`no ${pathPrefix} link in the email to ${to}: ${m.text}`);
  }
}

export interface TestApp {
  app: ReturnType<typeof createWebApp>;
  kv: Store;
  mailer: CapturingMailer;
  config: Config;
  origin: string;
  client(): TestClient;
  close(): void;
}

/** `gateway`: a client of a real gateway the test runs (none by default: no media). */
export async function makeTestApp(
  env: Record<string, string> = {},
  opts: { gateway?: AppDeps["gateway"] } = {},
): Promise<TestApp> {
  const config = loadConfig({
    TALKSPACE_ENV: "test",
    PUBLIC_URL: "http://localhost:8000",
    KV_PATH: ":memory:",
    ...env,
  });
  const kv = await Deno.openKv(":memory:");
  const mailer = new CapturingMailer();
  const signingKey = await loadSigningKey(kv, "");
  const app = createWebApp({ kv, config, mailer, signingKey, gateway: opts.gateway ?? null });
  // Queued account mail (sign-up, reset) is delivered as main.ts's queue listener would.
  const deliver = accountMailHandler(mailer);
  kv.listenQueue(async (m) => void await deliver(m));
  const origin = new URL(config.publicUrl).origin;
  return {
    app,
    kv,
    mailer,
    config,
    origin,
    client: () => new TestClient(app, origin),
    close: () => kv.close(),
  };
}

type Fetchable = { request: (input: string, init?: RequestInit) => Response | Promise<Response> };

/** Keeps cookies between requests; form posts carry a matching Origin like a browser's. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  constructor(private app: Fetchable, readonly origin: string) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size && !headers.has("cookie")) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await this.app.request(new URL(path, this.origin).toString(), { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0/i.test(a) || /expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(path: string, headers: HeadersInit = {}): Promise<Response> {
    return this.request(path, { headers });
  }

  /** POSTs a urlencoded form with this client's Origin (a same-origin browser submission). */
  postForm(path: string, fields: Record<string, string>, headers: HeadersInit = {}): Promise<Response> {
    const h = new Headers(headers);
    if (!h.has("origin")) h.set("origin", this.origin);
    h.set("content-type", "application/x-www-form-urlencoded");
    return this.request(path, { method: "POST", body: new URLSearchParams(fields).toString(), headers: h });
  }

  /** Sends JSON with this client's Origin. */
  sendJson(method: string, path: string, body: unknown, headers: HeadersInit = {}): Promise<Response> {
    const h = new Headers(headers);
    if (!h.has("origin") && !h.has("authorization")) h.set("origin", this.origin);
    h.set("content-type", "application/json");
    return this.request(path, { method, body: JSON.stringify(body), headers: h });
  }
}
