// DTMF digits of one call, from RFC 4733 (the relay) and SIP INFO alike, queued so digits typed
// ahead of a prompt are not lost; `collect` reads one entry up to `#`.

export class DigitQueue {
  #buffer: string[] = [];
  #wake: (() => void) | null = null;
  #closed = false;
  /** Every digit received, for diagnostics and tests. */
  readonly history: string[] = [];

  push(digit: string) {
    if (this.#closed) return;
    this.history.push(digit);
    this.#buffer.push(digit);
    this.#wake?.();
  }

  /** Drops digits typed ahead (after a failed entry, so stale input does not count as the next try). */
  flush() {
    this.#buffer = [];
  }

  close() {
    this.#closed = true;
    this.#wake?.();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The next digit, or null after `timeoutMs` or when the call ended. */
  async take(timeoutMs: number): Promise<string | null> {
    if (this.#buffer.length) return this.#buffer.shift()!;
    if (this.#closed) return null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
    });
    return this.#buffer.shift() ?? null;
  }

  /**
   * One entry: digits up to `#` (not included). Waits `firstTimeoutMs` for the first digit and
   * `nextTimeoutMs` between digits; a timeout ends the entry with what was typed. `*` starts over.
   */
  async collect(options: { firstTimeoutMs: number; nextTimeoutMs: number; onDigit?: () => void; max?: number }) {
    let entry = "";
    let first = true;
    while (entry.length < (options.max ?? 20)) {
      const d = await this.take(first ? options.firstTimeoutMs : options.nextTimeoutMs);
      if (d === null) break;
      first = false;
      options.onDigit?.();
      if (d === "#") return { digits: entry, terminated: true };
      if (d === "*") entry = "";
      else if (/^\d$/.test(d)) entry += d;
    }
    return { digits: entry, terminated: false };
  }
}
