// What every Janus plugin module of the gateway shares: one synchronous request on a handle with
// janode's failures mapped to our errors, and a per-key queue so operations on one room never
// interleave.

import { type JanodeHandle, JanusUnavailable } from "../janus/link.ts";

/** A plugin request Janus answered with an error (code when it gave one). */
export class JanusRequestFailed extends Error {
  constructor(readonly request: string, readonly code: number | null, reason: string) {
    super(`Janus ${request} failed: ${reason}`);
    this.name = "JanusRequestFailed";
  }
}

/**
 * Sends one synchronous plugin request and answers the plugin's data. A lost connection becomes
 * JanusUnavailable, any other failure JanusRequestFailed. With `dataErrors`, an `error_code` in the
 * plugin data is a failure too (plugins such as the AudioBridge answer errors that way).
 */
export async function pluginRequest(
  handle: JanodeHandle,
  request: string,
  body: Record<string, unknown>,
  opts: { dataErrors?: boolean } = {},
): Promise<Record<string, unknown>> {
  try {
    const res = await handle.message({ request, ...body }) as { plugindata?: { data?: Record<string, unknown> } };
    const data = res.plugindata?.data ?? {};
    if (opts.dataErrors && typeof data.error_code === "number") {
      throw Object.assign(new Error(`${data.error_code} ${data.error}`), { _code: data.error_code });
    }
    return data;
  } catch (err) {
    const e = err as Error & { _code?: number };
    const code = e._code ?? Number(/^(\d+) /.exec(e.message)?.[1] ?? NaN);
    if (e.message === "connection closed" || /detached|closed/.test(e.message)) throw new JanusUnavailable();
    throw new JanusRequestFailed(request, Number.isFinite(code) ? code : null, e.message);
  }
}

/** Runs operations with the same key one at a time (in call order), different keys concurrently. */
export class KeyedQueue {
  #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    // The next operation waits on the tail, never on the result: the caller gets `run`, errors and all.
    const tail = run.catch(() => {});
    this.#tails.set(key, tail);
    tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return run;
  }
}
