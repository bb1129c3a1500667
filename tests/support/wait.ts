// Waiting for a condition in tests and benchmarks: poll with a bound, never a fixed sleep.

/** Polls `check` until it returns a truthy value; throws with `what` (and the last value) after `ms`. */
export async function poll<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms = 30_000,
  every = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  const shown = last instanceof Error ? last.message : typeof last === "string" ? last : JSON.stringify(last);
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${String(shown).slice(0, 600)}`);
}
