// Shared pieces of the browser benchmarks: child processes stopped by PID, a cleanup list that
// runs once (normal end, failure, Ctrl-C, or the overall deadline) and the runner around a
// benchmark's main, statistics and a plain table.

import { poll as pollUntil } from "../../tests/support/wait.ts";

export interface Proc {
  name: string;
  child: Deno.ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Wraps a spawned child (stdout/stderr piped): keeps its output, stops it by PID (TERM, then KILL). */
export function track(name: string, child: Deno.ChildProcess): Proc {
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    try {
      for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
        out += chunk;
        // Keep memory bounded for chatty processes (Janus at log level 4).
        if (out.length > 200_000) out = out.slice(-100_000);
      }
    } catch { /* the stream closed with the process */ }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  return {
    name,
    child,
    output: () => out,
    async stop() {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch { /* already gone */ }
      }
      const t = setTimeout(() => {
        if (!exited) {
          try {
            child.kill("SIGKILL");
          } catch { /* already gone */ }
        }
      }, 8_000);
      await status;
      clearTimeout(t);
      await pumps;
    },
  };
}

/**
 * Runs registered cleanup steps once, last registered first. `install()` hooks Ctrl-C/SIGTERM and an
 * overall deadline, both of which clean up and exit.
 */
export class Cleanup {
  #steps: { what: string; fn: () => Promise<unknown> | unknown }[] = [];
  #done: Promise<void> | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #verbose = false;
  #onSignal = () => {
    console.error("\nbench: interrupted, stopping everything it started…");
    this.#verbose = true;
    this.run().finally(() => Deno.exit(130));
  };

  add(what: string, fn: () => Promise<unknown> | unknown) {
    this.#steps.push({ what, fn });
  }

  install(deadlineMs: number) {
    Deno.addSignalListener("SIGINT", this.#onSignal);
    Deno.addSignalListener("SIGTERM", this.#onSignal);
    this.#timer = setTimeout(() => {
      console.error(`bench: still running after ${Math.round(deadlineMs / 1000)} s: giving up`);
      this.run().finally(() => Deno.exit(1));
    }, deadlineMs);
  }

  run(): Promise<void> {
    this.#done ??= (async () => {
      clearTimeout(this.#timer);
      for (const step of this.#steps.reverse()) {
        if (this.#verbose) console.error(`bench: ${step.what}`);
        try {
          await Promise.race([
            step.fn(),
            new Promise((_, reject) => setTimeout(() => reject(new Error("took over 15 s")), 15_000)),
          ]);
        } catch (err) {
          console.error(`bench: cleanup (${step.what}) failed: ${err instanceof Error ? err.message : err}`);
        }
      }
      try {
        Deno.removeSignalListener("SIGINT", this.#onSignal);
        Deno.removeSignalListener("SIGTERM", this.#onSignal);
      } catch { /* not installed */ }
    })();
    return this.#done;
  }
}

/**
 * Runs a benchmark's `main` with a Cleanup installed (so Ctrl-C and the deadline, `deadlineSeconds`,
 * clean up too), cleans up however it ends, and exits with main's code: 1 when it threw.
 */
export async function runBench(main: (cleanup: Cleanup) => Promise<number>, deadlineSeconds: number): Promise<never> {
  const cleanup = new Cleanup();
  cleanup.install(deadlineSeconds * 1000);
  let code = 1;
  try {
    code = await main(cleanup);
  } catch (e) {
    console.error(`bench: ${e instanceof Error ? e.message : e}`);
  } finally {
    await cleanup.run();
  }
  Deno.exit(code);
}

/** tests/support/wait.ts's poll, checking every 100 ms by default (benchmarks time short steps). */
export function poll<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms = 30_000,
  every = 100,
): Promise<T> {
  return pollUntil(what, check, ms, every);
}

export function positiveInt(name: string, fallback: number): number {
  const raw = Deno.env.get(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive whole number, got ${raw}`);
  return n;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(s.length, rank) - 1];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Prints rows as an aligned table: the first column left-aligned, the rest right-aligned. */
export function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ").trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of rows) console.log(line(r));
}

/** Gzip size at the default level (what a server with gzip on would send). */
export async function gzipSize(data: Uint8Array<ArrayBuffer>): Promise<number> {
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

export function fmtBytes(n: number): string {
  return n.toLocaleString("en-US");
}

/** Whether `cmd` can be started at all (its exit code does not matter: `janus --version` exits 1). */
export async function commandExists(cmd: string, args: string[]): Promise<boolean> {
  try {
    await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output();
    return true;
  } catch {
    return false;
  }
}
