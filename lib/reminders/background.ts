// Starts the web process's background work for reminders: the KV queue listener and the
// schedule-change hook. main.ts calls startBackgroundWork once, after opening KV.
// A store module in that it owns the reminders' one listenQueue (handlers are idempotent: at least once).

import { logger } from "../common/log.ts";
import { handleReminderMessage, isReminderMessage, watchSchedule } from "./reminders.ts";
import type { ReminderDeps } from "./reminders.ts";

const log = logger("background");

/** Another module's queue work: returns true when the message was its to handle. */
export type QueueHandler = (message: unknown) => Promise<boolean>;

/**
 * Listens on the KV queue and re-plans reminders on schedule changes. Deno hands each queue
 * message to ONE of the process's listeners (round robin), so a process must have exactly one
 * listener: other modules' queue work joins through `handlers` rather than a listenQueue of its
 * own. Resolves `stopped` when KV is closed.
 */
export function startBackgroundWork(
  deps: ReminderDeps,
  handlers: QueueHandler[] = [],
): { stopped: Promise<void> } {
  watchSchedule(deps.kv, deps.schedule);
  const stopped = deps.kv.listenQueue(async (message: unknown) => {
    const type = String((message as { type?: unknown })?.type);
    try {
      if (isReminderMessage(message)) return await handleReminderMessage(deps, message);
      for (const handle of handlers) if (await handle(message)) return;
    } catch (err) {
      // Thrown on so KV delivers the message again (with its backoff); this line is the only trace.
      const meetingId = (message as { meetingId?: unknown })?.meetingId;
      log.warn("queue message failed; KV will deliver it again", { type, meetingId, error: String(err) });
      throw err;
    }
    // Acknowledged (not thrown): an unknown message would otherwise be redelivered to no end.
    log.warn("queue message nobody handles", { type });
  });
  return { stopped };
}
