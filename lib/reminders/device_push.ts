// One web push to one of a person's devices, as every notice sends it (reminders, "your recording
// is ready"): the endpoint's host checked again (a name can be re-pointed at a private address after
// it was accepted), the server's VAPID keys, the encrypted send, and a device the push service
// says is gone forgotten. Retrying and "sent once" markers stay with each caller.

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import { logger } from "../common/log.ts";
import { endpointOrigin, sendPush } from "./sender.ts";
import type { PushPayload, SendOutcome } from "./sender.ts";
import { endpointProblem, removeGoneSubscription } from "./subscriptions.ts";
import type { PushSubscriptionRecord, Resolver } from "./subscriptions.ts";
import { loadVapidKeys } from "./vapid.ts";

const log = logger("push");

export interface DevicePushDeps {
  kv: Store;
  config: Config;
  /** Stand-ins for tests; the real fetch and DNS otherwise. */
  fetch?: typeof fetch;
  resolve?: Resolver;
  env?: Record<string, string | undefined>;
}

/**
 * Sends `payload` to `sub` (never throws for network or HTTP trouble: see SendOutcome). A refused
 * endpoint is "failed" with the reason; a gone device is removed before "gone" is returned.
 */
export async function pushToDevice(
  deps: DevicePushDeps,
  sub: PushSubscriptionRecord,
  payload: PushPayload | (() => Promise<PushPayload>),
  opts: { ttlSeconds: number; topic?: string },
): Promise<SendOutcome> {
  const problem = await endpointProblem(sub.endpoint, {
    allowPrivate: deps.config.env === "development",
    resolve: deps.resolve,
  });
  if (problem) return { kind: "failed", status: 0, reason: problem };
  const body = typeof payload === "function" ? await payload() : payload;
  const vapid = await loadVapidKeys(deps.kv, deps.config, deps.env);
  const outcome = await sendPush(sub, body, vapid, { ...opts, fetch: deps.fetch });
  if (outcome.kind === "gone") {
    await removeGoneSubscription(deps.kv, sub);
    log.info("push subscription gone; removed", { subscription: sub.id, status: outcome.status });
  }
  return outcome;
}

/**
 * What a failed attempt's warn line says (both notices log it the same way): the device, the
 * endpoint's origin only (its path is the device's secret capability URL), the attempt and why.
 */
export function pushFailureFields(
  sub: PushSubscriptionRecord,
  outcome: Exclude<SendOutcome, { kind: "sent" | "gone" }>,
  attempt: number,
  maxAttempts: number,
  nextAttemptInMs: number | null,
): Record<string, unknown> {
  return {
    subscription: sub.id,
    endpoint: endpointOrigin(sub.endpoint),
    attempt,
    maxAttempts,
    status: outcome.status,
    reason: outcome.reason,
    nextAttemptInMs,
  };
}
