// Request helpers shared by the scheduling pages and the scheduling API.

import type { Context } from "hono";
import type { Delivery, ServiceDeps } from "../scheduling/service.ts";
import type { Env } from "./types.ts";

/** What the scheduling service needs from the request's dependencies. */
export function serviceDeps(c: Context<Env>): ServiceDeps {
  const { kv, config, mailer } = c.get("deps");
  return { kv, config, mailer };
}

/** The query string that tells the schedule page what happened and how many emails went out. */
export function deliveryQuery(notice: string, d: Delivery): string {
  const q = new URLSearchParams({ notice, sent: String(d.sent.length) });
  if (d.failed.length) q.set("failed", String(d.failed.length));
  return q.toString();
}
