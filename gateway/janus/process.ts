// Runs Janus as a child process: start, readiness by probing its WebSocket port, stop by PID,
// and its output forwarded line by line with a [janus] prefix.

import { logger } from "../../lib/common/log.ts";

const log = logger("janus");

export interface JanusProcessOptions {
  binary: string;
  configDir: string;
  /** Janus API WebSocket URL probed for readiness. */
  probeUrl: string;
  readyTimeoutMs?: number;
}

export interface JanusProcess {
  readonly pid: number;
  /** Resolves with the exit code (or signal) when Janus exits, expectedly or not. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

async function forwardLines(stream: ReadableStream<Uint8Array<ArrayBuffer>>, warn: boolean) {
  let rest = "";
  const emit = (line: string) => {
    // Janus prefixes lines with a timestamp and sometimes ANSI colours; keep the text only.
    // deno-lint-ignore no-control-regex -- ESC starts the ANSI colour codes we strip.
    const text = line.replace(/\x1b\[[0-9;]*m/g, "").replace(/^\[\w{3} \w{3} +\d+ [\d:]+ \d{4}\] /, "").trimEnd();
    if (!text) return;
    // Janus warns about every plugin we disabled on purpose; that is not worth a warning here.
    if ((warn || /\[(ERR|WARN)\]/.test(text)) && !/has been disabled, skipping/.test(text)) log.warn(text);
    else log.info(text);
  };
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    lines.forEach(emit);
  }
  if (rest) emit(rest);
}

/** Resolves once a WebSocket with the janus-protocol subprotocol opens at `url`. */
export function probeJanus(url: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, "janus-protocol");
    } catch {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      ws.close();
      resolve(false);
    }, timeoutMs);
    ws.onopen = () => {
      clearTimeout(timer);
      ws.close();
      resolve(true);
    };
    ws.onerror = () => {
      clearTimeout(timer);
      resolve(false);
    };
  });
}

/** Starts Janus with the rendered configuration and waits until its WebSocket API accepts connections. */
export async function startJanus(options: JanusProcessOptions): Promise<JanusProcess> {
  const child = new Deno.Command(options.binary, {
    // -C and -F both point into the run directory so no stock config in /etc/janus is read.
    args: ["-C", `${options.configDir}/janus.jcfg`, "-F", options.configDir, "--disable-colors"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const pid = child.pid;
  log.info("started", { pid, configDir: options.configDir });
  const output = Promise.all([forwardLines(child.stdout, false), forwardLines(child.stderr, true)]).catch((err) =>
    log.warn("Janus output no longer forwarded", { pid, error: String(err) })
  );
  let done = false;
  const exited = child.status.then(async (status) => {
    done = true;
    await output;
    log.info("exited", { pid, exit: status.code, signal: status.signal });
    return status;
  });

  const stop = async (graceMs = 3000) => {
    if (done) return;
    try {
      Deno.kill(pid, "SIGTERM");
    } catch {
      // Already gone between the check and the signal.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        if (!done) {
          log.warn("did not stop after SIGTERM, killing", { pid });
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // Exited meanwhile.
          }
        }
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, killed]);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 15_000);
  while (!(await probeJanus(options.probeUrl))) {
    if (done) {
      const status = await exited;
      throw new Error(`Janus exited during start (code ${status.code}); see the [janus] lines above`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Janus did not accept WebSocket connections on ${options.probeUrl} in time`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  log.info("ready", { pid, url: options.probeUrl });
  return { pid, exited, stop };
}

/** True while a process with this PID exists. */
function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Kills a Janus left behind by a gateway that died without stopping it (it would hold our ports).
 * Only a process whose command line names our config directory is touched.
 */
export async function killStaleJanus(pidFile: string, configDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await Deno.readTextFile(pidFile)).trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline = "";
  try {
    cmdline = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).replaceAll("\0", " ");
  } catch {
    return;
  }
  if (!cmdline.includes(configDir)) return;
  log.warn("killing a Janus left over from an earlier run", { pid });
  Deno.kill(pid, "SIGKILL");
  const deadline = Date.now() + 5000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

export interface JanusSupervisor {
  /** PID of the running Janus, or null between a crash and the restart. */
  pid(): number | null;
  stop(): Promise<void>;
}

/**
 * Keeps Janus running: starts it, and restarts it with backoff when it exits unexpectedly. The PID
 * is written to `pidFile` so a later gateway can clean up after a crash of this one.
 */
export async function superviseJanus(options: JanusProcessOptions & { pidFile: string }): Promise<JanusSupervisor> {
  await killStaleJanus(options.pidFile, options.configDir);
  let current: JanusProcess | null = null;
  let stopping = false;
  let failures = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const scheduleRestart = () => {
    const delay = Math.min(10_000, 100 * 2 ** failures);
    timer = setTimeout(() => {
      timer = undefined;
      if (stopping) return;
      launch().catch((err) => {
        failures++;
        log.error("Janus restart failed, trying again", { error: String(err) });
        scheduleRestart();
      });
    }, delay);
  };

  const launch = async (): Promise<void> => {
    const startedAt = Date.now();
    const proc = await startJanus(options);
    if (stopping) {
      // stop() ran while this Janus was starting.
      await proc.stop();
      return;
    }
    current = proc;
    await Deno.writeTextFile(options.pidFile, String(proc.pid));
    proc.exited.then((status) => {
      if (current === proc) current = null;
      if (stopping) return;
      // A Janus that ran for a while gets an immediate restart; one that keeps dying backs off.
      failures = Date.now() - startedAt > 30_000 ? 0 : failures + 1;
      log.error("Janus exited unexpectedly, restarting", { exit: status.code, signal: status.signal });
      scheduleRestart();
    });
  };

  await launch();
  return {
    pid: () => current?.pid ?? null,
    stop: async () => {
      stopping = true;
      if (timer !== undefined) clearTimeout(timer);
      const proc = current;
      current = null;
      await proc?.stop();
      await Deno.remove(options.pidFile).catch((err) => {
        // Never written (Janus did not start) or removed already: nothing to clean up.
        if (!(err instanceof Deno.errors.NotFound)) {
          log.warn("PID file not removed", { path: options.pidFile, error: String(err) });
        }
      });
    },
  };
}
