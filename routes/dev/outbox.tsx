// Development-only pages: the email outbox (/dev/outbox, /dev/outbox.json). Anywhere else: 404.

import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import type { ComponentChildren } from "preact";
import { NotFound } from "../../lib/common/errors.ts";
import { renderPage } from "../../lib/web/render.tsx";
import type { Env } from "../../lib/web/types.ts";
import { clearOutbox, getOutboxMessage, listOutbox } from "../../lib/email/outbox.ts";
import type { OutboxMessage } from "../../lib/email/outbox.ts";
import { Form, Notice } from "../../components/Form.tsx";

export const devRoutes = new Hono<Env>();

const requireDevelopment: MiddlewareHandler<Env> = async function requireDevelopment(c, next) {
  if (c.get("deps").config.env !== "development") throw new NotFound("We could not find that page");
  await next();
};

devRoutes.use("/dev/outbox", requireDevelopment);
devRoutes.use("/dev/outbox.json", requireDevelopment);
devRoutes.use("/dev/outbox/*", requireDevelopment);

devRoutes.get("/dev/outbox.json", async (c) => {
  const messages = await listOutbox(c.get("deps").kv);
  c.header("Cache-Control", "no-store");
  // `raw` is the message's MIME source (with any text/calendar part), as it would go over SMTP.
  return c.json(
    messages.map(({ to, subject, text, html, sentAt, raw }) => ({ to, subject, text, html, sentAt, raw: raw ?? null })),
  );
});

devRoutes.get("/dev/outbox", async (c) => {
  const messages = await listOutbox(c.get("deps").kv);
  const cleared = c.req.query("notice") === "cleared";
  return renderPage(
    c,
    <section class="card dev-outbox">
      <h1>Development outbox</h1>
      <p>
        SMTP_URL is not set, so mail is kept here instead of being delivered (the newest 200 messages).{" "}
        <a href="/dev/outbox.json">As JSON</a>
      </p>
      {cleared && <Notice kind="success">The outbox is empty now.</Notice>}
      {messages.length === 0 ? <p>No messages yet.</p> : (
        <>
          <Form action="/dev/outbox/clear" class="inline">
            <button type="submit" class="secondary">Empty the outbox</button>
          </Form>
          {messages.map((m) => <OutboxItem key={m.id} message={m} />)}
        </>
      )}
    </section>,
    { title: "Development outbox" },
  );
});

devRoutes.get("/dev/outbox/:file", async (c) => {
  const id = /^([0-9A-Z]{26})\.eml$/.exec(c.req.param("file"))?.[1];
  const m = id ? await getOutboxMessage(c.get("deps").kv, id) : null;
  if (!m?.raw) throw new NotFound("That message is not in the outbox, or it has no MIME source");
  return c.body(m.raw, 200, {
    "Content-Type": "message/rfc822",
    "Content-Disposition": `attachment; filename="${m.id}.eml"`,
    "Cache-Control": "no-store",
  });
});

devRoutes.post("/dev/outbox/clear", async (c) => {
  await clearOutbox(c.get("deps").kv);
  return c.redirect("/dev/outbox?notice=cleared", 303);
});

function OutboxItem({ message: m }: { message: OutboxMessage }) {
  return (
    <article class="outbox-message" id={`m-${m.id}`}>
      <header>
        <h2>{m.subject}</h2>
        <dl class="outbox-meta">
          <dt>To</dt>
          <dd>{m.to}</dd>
          <dt>From</dt>
          <dd>{m.from}</dd>
          <dt>Sent</dt>
          <dd>
            <time datetime={m.sentAt}>{m.sentAt.replace("T", " ").slice(0, 19)} UTC</time>
          </dd>
        </dl>
        {m.truncated && <Notice kind="info">This message was too large for KV and was shortened.</Notice>}
        {m.raw && <a href={`/dev/outbox/${m.id}.eml`}>Download .eml</a>}
      </header>
      <h3>Text</h3>
      <pre class="outbox-text">{linkify(m.text)}</pre>
      {m.html && (
        <>
          <h3>HTML</h3>
          {/* Sandboxed without allow-scripts/allow-same-origin: the mail's HTML cannot run code or reach the app. */}
          <iframe class="outbox-html" sandbox="" srcdoc={m.html} title={`HTML part of “${m.subject}”`} />
        </>
      )}
    </article>
  );
}

const URL_RE = /https?:\/\/[^\s<>"']+/g;

/** Text with its http(s) URLs as links; everything else stays escaped text. */
function linkify(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    const url = match[0].replace(/[.,;:!?)]+$/, "");
    out.push(text.slice(last, match.index));
    out.push(<a href={url}>{url}</a>);
    last = match.index + url.length;
  }
  out.push(text.slice(last));
  return out;
}
