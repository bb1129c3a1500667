// "Your recording is ready" (and "could not be made"): the host is told by email and by a web push
// to each of their devices, in their language, with a link to the recording's page.
//
// Once: the notice's queue message is enqueued in the same commit that moves the recording to ready
// or failed (store.writeOutcome), and each delivery (the email, each device) claims a marker before
// it is sent, so a redelivered message sends nothing twice. Failures worth retrying are tried
// again with the reminders' backoff under the same marker, and logged at warn with the reason and
// the attempt, as reminders do.

import type { Store } from "../common/store.ts";
import type { Config } from "../common/config.ts";
import { logger } from "../common/log.ts";
import type { Mailer, MailMessage } from "../email/mailer.ts";
import { mailLocale } from "../email/i18n.ts";
import { translator } from "../i18n/translate.ts";
import { getUser } from "../accounts/users.ts";
import type { User } from "../accounts/users.ts";
import { compose } from "../accounts/emails.ts";
import { backoff, MAX_ATTEMPTS } from "../reminders/planning.ts";
import type { PushPayload, SendOutcome } from "../reminders/sender.ts";
import { getSubscription, listSubscriptions } from "../reminders/subscriptions.ts";
import type { PushSubscriptionRecord } from "../reminders/subscriptions.ts";
import { type DevicePushDeps, pushFailureFields, pushToDevice } from "../reminders/device_push.ts";
import {
  claimNotice,
  getRecording,
  isRecordingNotice,
  type NoticeClaim,
  type NoticeMarker,
  type Recording,
  type RecordingNotice,
  settleNotice,
} from "./store.ts";

const log = logger("recording-notices");

export interface NoticeDeps extends DevicePushDeps {
  kv: Store;
  config: Config;
  mailer: Mailer;
}

/** The recording's page, where the host watches, shares or reads why it failed. */
function pageUrl(config: Config, rec: Recording): string {
  return `${config.publicUrl}/recordings/${rec.id}`;
}

/** The email to the host, in their language. */
export function noticeEmail(
  config: Config,
  rec: Recording,
  host: Pick<User, "name" | "email" | "locale">,
): MailMessage {
  const title = rec.title;
  if (rec.state === "ready") {
    return compose({
      to: host.email,
      locale: host.locale,
      subject: ["mail.recordingReady.subject", { title }],
      name: host.name,
      paragraphs: [["mail.recordingReady.body", { title }]],
      action: { label: "mail.recordingReady.action", url: pageUrl(config, rec) },
      after: ["mail.recordingReady.after"],
    });
  }
  return compose({
    to: host.email,
    locale: host.locale,
    subject: ["mail.recordingFailed.subject", { title }],
    name: host.name,
    paragraphs: [["mail.recordingFailed.body", { title, reason: rec.reason ?? "" }]],
    action: { label: "mail.recordingFailed.action", url: pageUrl(config, rec) },
  });
}

/** The push notification (static/sw.js shows title and body and opens url). */
export function noticePush(config: Config, rec: Recording, host: Pick<User, "locale">): PushPayload {
  const t = translator(mailLocale(host));
  return rec.state === "ready"
    ? {
      title: t("mail.recordingReady.subject", { title: rec.title }),
      body: t("mail.recordingReady.push"),
      url: pageUrl(config, rec),
    }
    : {
      title: t("mail.recordingFailed.subject", { title: rec.title }),
      body: rec.reason ?? "",
      url: pageUrl(config, rec),
    };
}

/** A delivery's outcome as a marker, and the retry to queue (null: done for good). */
function settled(
  attempt: number,
  ok: boolean,
  retryable: boolean,
  detail: string | undefined,
  hintMs?: number,
): { marker: NoticeMarker; delayMs: number | null } {
  if (ok) return { marker: { state: "sent", attempt }, delayMs: null };
  if (retryable && attempt < MAX_ATTEMPTS) {
    return { marker: { state: "retry", attempt: attempt + 1, detail }, delayMs: backoff(attempt, hintMs) };
  }
  return { marker: { state: "failed", attempt, detail }, delayMs: null };
}

async function settle(
  deps: NoticeDeps,
  rec: Recording,
  channel: string,
  claim: NoticeClaim,
  outcome: { marker: NoticeMarker; delayMs: number | null },
): Promise<void> {
  const retry = outcome.delayMs === null ? null : {
    message: { type: "recording-notice", recordingId: rec.id, channel, attempt: outcome.marker.attempt } as const,
    delayMs: outcome.delayMs,
  };
  if (!(await settleNotice(deps.kv, claim, outcome.marker, retry))) {
    log.warn("recording notice outcome not recorded", { recordingId: rec.id, channel, state: outcome.marker.state });
  }
}

async function deliverEmail(deps: NoticeDeps, rec: Recording, host: User, attempt: number): Promise<void> {
  const claim = await claimNotice(deps.kv, rec.id, "email", attempt);
  if (!claim) return; // sent, being sent, or waiting for another attempt
  try {
    await deps.mailer.send(noticeEmail(deps.config, rec, host));
    await settle(deps, rec, "email", claim, settled(attempt, true, false, undefined));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const next = settled(attempt, false, true, reason);
    log.warn("recording notice email attempt failed", {
      recordingId: rec.id,
      attempt,
      maxAttempts: MAX_ATTEMPTS,
      reason,
      nextAttemptInMs: next.delayMs,
    });
    await settle(deps, rec, "email", claim, next);
  }
}

async function deliverPush(
  deps: NoticeDeps,
  rec: Recording,
  host: User,
  sub: PushSubscriptionRecord,
  attempt: number,
): Promise<void> {
  const channel = `push:${sub.id}`;
  const claim = await claimNotice(deps.kv, rec.id, channel, attempt);
  if (!claim) return;
  // A day: a phone that is off overnight still hears of it in the morning.
  const outcome: SendOutcome = await pushToDevice(deps, sub, noticePush(deps.config, rec, host), {
    ttlSeconds: 86_400,
    topic: `rec-${rec.id}`.slice(0, 32),
  });
  if (outcome.kind === "sent" || outcome.kind === "gone") {
    await settle(deps, rec, channel, claim, settled(attempt, true, false, undefined));
    return;
  }
  const next = settled(
    attempt,
    false,
    outcome.kind === "retry",
    outcome.reason,
    outcome.kind === "retry" ? outcome.retryAfterMs : undefined,
  );
  log.warn("recording notice push attempt failed", {
    recordingId: rec.id,
    ...pushFailureFields(sub, outcome, attempt, MAX_ATTEMPTS, next.delayMs),
  });
  await settle(deps, rec, channel, claim, next);
}

/** Handles one notice message: every delivery on the first, the one named on a retry. */
export async function handleRecordingNotice(deps: NoticeDeps, msg: RecordingNotice): Promise<void> {
  const rec = await getRecording(deps.kv, msg.recordingId);
  if (!rec || (rec.state !== "ready" && rec.state !== "failed")) return; // deleted meanwhile
  const host = await getUser(deps.kv, rec.ownerId);
  if (!host || host.disabled) return;
  if (msg.channel === undefined) {
    await deliverEmail(deps, rec, host, 1);
    for (const sub of await listSubscriptions(deps.kv, host.id)) await deliverPush(deps, rec, host, sub, 1);
    return;
  }
  if (msg.channel === "email") return await deliverEmail(deps, rec, host, msg.attempt);
  const sub = await getSubscription(deps.kv, msg.channel.slice("push:".length));
  if (sub && sub.userId === host.id) await deliverPush(deps, rec, host, sub, msg.attempt);
}

/** The notices' queue work for the process's one listener (lib/reminders/background.ts). */
export function recordingNoticeHandler(deps: NoticeDeps): (message: unknown) => Promise<boolean> {
  return async (message) => {
    if (!isRecordingNotice(message)) return false;
    await handleRecordingNotice(deps, message);
    return true;
  };
}
