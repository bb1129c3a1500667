// Starts the real web server as a child process on a free port with its own data directory,
// waits until it answers, and stops it by PID.

import { freePort } from "./ports.ts";

export { freePort };

export interface RunningServer {
  url: string;
  dataDir: string;
  pid: number;
  /** Everything the server printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

const ROOT = new URL("../../", import.meta.url).pathname;

/** Launches `deno run -A main.ts` with the given environment; resolves once /healthz answers 200. */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const port = Number(env.PORT ?? freePort());
  const dataDir = env.DATA_DIR ?? await Deno.makeTempDir({ prefix: "talkspace-test-" });
  const url = `http://localhost:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts"],
    cwd: ROOT,
    env: { TALKSPACE_ENV: "development", PUBLIC_URL: url, ...env, PORT: String(port), DATA_DIR: dataDir },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  const pump = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) out += chunk;
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const deadline = Date.now() + 30_000;
  while (true) {
    if (exited) throw new Error(`server exited before it answered:\n${out}`);
    try {
      const res = await fetch(`${url}/healthz`);
      await res.body?.cancel();
      if (res.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`server did not answer /healthz within 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    pid: child.pid,
    output: () => out,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 5000);
      await status;
      clearTimeout(timer);
      await pumps;
    },
  };
}
