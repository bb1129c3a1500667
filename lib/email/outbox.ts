// Development outbox: without SMTP_URL every message is kept in KV (newest 200) for /dev/outbox.
// The email capability's store module (the outbox is its only KV record; keys in ./keys.ts).

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import { emailKeys as keys } from "./keys.ts";
import { commitAtomic, commitOrThrow } from "../common/kv.ts";
import { newId } from "../common/ids.ts";
import { logger } from "../common/log.ts";
import type { Mailer, MailMessage } from "./mailer.ts";
import { buildRawMessage } from "./smtp.ts";

const log = logger("email");

/** How many messages the outbox keeps; older ones are dropped as new ones arrive. */
export const OUTBOX_LIMIT = 200;

/**
 * Budget for one stored message. KV refuses values over 64 KiB; strings may serialize at two bytes
 * per character, so sizes are counted that way, with room left for the other fields.
 */
export const OUTBOX_VALUE_BUDGET = 60_000;

export const HTML_TRUNCATED_NOTE =
  "<p><strong>[Talkspace dev outbox: the HTML part was truncated to fit in KV]</strong></p>";
export const TEXT_TRUNCATED_NOTE = "\n\n[Talkspace dev outbox: the text part was truncated to fit in KV]";

export interface OutboxMessage extends MailMessage {
  /** ULID: outbox keys sort by it, so listing in reverse gives newest first. */
  id: string;
  from: string;
  sentAt: string;
  /** RFC 5322 MIME source as SMTP would have sent it; left out when it would not fit in one KV value. */
  raw?: string;
  /** Set when a part was cut or `raw` left out to stay under KV's value limit. */
  truncated?: boolean;
}

function size(s: string): number {
  return s.length * 2;
}

/** Cuts a message down to OUTBOX_VALUE_BUDGET: first drops `raw`, then trims HTML, then text. */
export function fitOutboxMessage(msg: OutboxMessage): OutboxMessage {
  const fixed = 2_000 + size(msg.to) + size(msg.subject) + size(msg.from);
  const total = (m: OutboxMessage) => fixed + size(m.text) + size(m.html) + size(m.raw ?? "");
  if (total(msg) <= OUTBOX_VALUE_BUDGET) return msg;
  const out: OutboxMessage = { ...msg, truncated: true };
  delete out.raw;
  if (total(out) > OUTBOX_VALUE_BUDGET) {
    const room = Math.max(0, (OUTBOX_VALUE_BUDGET - fixed - size(out.text)) / 2 - HTML_TRUNCATED_NOTE.length);
    out.html = out.html.slice(0, Math.floor(room)) + HTML_TRUNCATED_NOTE;
  }
  if (total(out) > OUTBOX_VALUE_BUDGET) {
    const room = Math.max(0, (OUTBOX_VALUE_BUDGET - fixed - size(out.html)) / 2 - TEXT_TRUNCATED_NOTE.length);
    out.text = out.text.slice(0, Math.floor(room)) + TEXT_TRUNCATED_NOTE;
  }
  return out;
}

/** Stores one message (fitted to KV's value limit) and drops all but the newest OUTBOX_LIMIT. */
export async function addToOutbox(
  kv: Store,
  message: MailMessage & { from: string; raw?: string },
): Promise<OutboxMessage> {
  const stored = fitOutboxMessage({
    // Monotonic (lib/common/ids.ts): two messages sent in the same millisecond still list in sending order.
    id: newId(),
    from: message.from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html,
    sentAt: new Date().toISOString(),
    ...(message.raw !== undefined ? { raw: message.raw } : {}),
  });
  await kv.set(keys.outboxMessage(stored.id), stored);
  await pruneOutbox(kv);
  return stored;
}

/**
 * Deletes everything beyond the newest OUTBOX_LIMIT messages (idempotent; concurrent calls are
 * harmless). A batch that fails is logged and left for the next message's prune: the message itself
 * is already stored, and failing its send would only make the caller store it again.
 */
async function pruneOutbox(kv: Store): Promise<void> {
  let seen = 0;
  let op = kv.atomic();
  let pending = 0;
  const commitBatch = async () => {
    const ok = (await commitAtomic(op)).ok;
    if (!ok) log.warn("outbox prune deferred: the database was busy", { batch: pending });
    op = kv.atomic();
    pending = 0;
    return ok;
  };
  for await (const e of kv.list({ prefix: keys.outbox() }, { reverse: true })) {
    if (++seen <= OUTBOX_LIMIT) continue;
    op.delete(e.key);
    if (++pending >= 500 && !(await commitBatch())) return;
  }
  if (pending) await commitBatch();
}

/** The stored messages, newest first. */
export async function listOutbox(kv: Store, limit = OUTBOX_LIMIT): Promise<OutboxMessage[]> {
  const out: OutboxMessage[] = [];
  for await (const e of kv.list<OutboxMessage>({ prefix: keys.outbox() }, { reverse: true, limit })) {
    out.push(e.value);
  }
  return out;
}

export async function getOutboxMessage(kv: Store, id: string): Promise<OutboxMessage | null> {
  return (await kv.get<OutboxMessage>(keys.outboxMessage(id))).value;
}

/** Empties the outbox. */
export async function clearOutbox(kv: Store): Promise<number> {
  let n = 0;
  let op = kv.atomic();
  for await (const e of kv.list({ prefix: keys.outbox() })) {
    op.delete(e.key);
    if (++n % 500 === 0) {
      await commitOrThrow(op, "clearOutbox");
      op = kv.atomic();
    }
  }
  await commitOrThrow(op, "clearOutbox");
  return n;
}

/**
 * A mailer that keeps messages in the outbox instead of delivering them. In development the log line
 * carries the text body (so sign-up and reset links show in the terminal); elsewhere only recipient
 * and subject, plus one warning that nothing is being delivered.
 */
export function createOutboxMailer(config: Config, kv: Store): Mailer {
  let warned = false;
  return {
    async send(message) {
      let raw: string | undefined;
      try {
        raw = await buildRawMessage(config, message);
      } catch (err) {
        log.warn("could not build the MIME source for the outbox", { error: String(err) });
      }
      const stored = await addToOutbox(kv, { ...message, from: config.mailFrom, raw });
      if (config.env === "development") {
        log.info("mail kept in the dev outbox (/dev/outbox)", {
          id: stored.id,
          to: message.to,
          subject: message.subject,
          text: message.text,
        });
        return;
      }
      if (!warned) {
        warned = true;
        log.warn("SMTP_URL is not set: mail is NOT being delivered, only kept in the KV outbox");
      }
      log.info("mail kept in the outbox, not delivered", { id: stored.id, to: message.to, subject: message.subject });
    },
  };
}
