// One long-lived object per meeting (the SIP bridge, room systems' video), made on first use and
// kept until its owner forgets it; after a Janus restart every one of them puts back what it owns.

import type { Logger } from "../../lib/common/log.ts";

/** What a per-meeting object offers the registry. */
export interface MeetingScoped {
  readonly meetingId: string;
  /** Janus restarted: put back what this meeting had in it. */
  janusRestored(): Promise<void>;
}

/** A map from meeting id to its object, created on demand by `create`. */
export class PerMeeting<T extends MeetingScoped> {
  #items = new Map<string, T>();

  constructor(
    /** Names the object in the log line when restoring it fails ("a bridge"). */
    private readonly what: string,
    private readonly log: Logger,
    private readonly create: (meetingId: string) => T,
  ) {}

  /** The meeting's object, made now when there is none. */
  for(meetingId: string): T {
    let item = this.#items.get(meetingId);
    if (!item) {
      item = this.create(meetingId);
      this.#items.set(meetingId, item);
    }
    return item;
  }

  get(meetingId: string): T | null {
    return this.#items.get(meetingId) ?? null;
  }

  /** Drops a meeting's object (its owner has stopped it). */
  protected forget(meetingId: string): void {
    this.#items.delete(meetingId);
  }

  /** Janus restarted: every meeting's object restores itself; one failing is logged and does not stop the others. */
  async janusRestored(): Promise<void> {
    await Promise.all([...this.#items.values()].map((item) =>
      item.janusRestored().catch((err) => {
        this.log.error(`restoring ${this.what} failed`, { meetingId: item.meetingId, error: (err as Error).message });
      })
    ));
  }
}
