// `npm start`'s supervisor: runs the gateway (which runs Janus) and the web app together, prefixes
// their output, and stops both when either exits or on Ctrl-C / SIGTERM.

const ROOT = new URL("../", import.meta.url).pathname;
const DENO = Deno.execPath();
const dataDir = Deno.env.get("DATA_DIR") ?? `${ROOT}data`;

/** The secret the web app and the gateway share: GATEWAY_SECRET, or one generated once into DATA_DIR. */
async function gatewaySecret(): Promise<string> {
  const fromEnv = Deno.env.get("GATEWAY_SECRET");
  if (fromEnv) return fromEnv;
  const file = `${dataDir}/gateway_secret`;
  try {
    return (await Deno.readTextFile(file)).trim();
  } catch {
    await Deno.mkdir(dataDir, { recursive: true });
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    const secret = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    await Deno.writeTextFile(file, secret + "\n", { mode: 0o600 });
    return secret;
  }
}

/** Whether the janus binary is on PATH (`janus --version` exits 1, so look for the file). */
function hasJanus(): boolean {
  const binary = Deno.env.get("JANUS_BINARY") ?? "janus";
  if (binary.includes("/")) return exists(binary);
  return (Deno.env.get("PATH") ?? "").split(":").some((dir) => dir && exists(`${dir}/${binary}`));
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function pipe(stream: ReadableStream<Uint8Array<ArrayBuffer>>, prefix: string, out: typeof Deno.stdout) {
  let buffered = "";
  const enc = new TextEncoder();
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) await out.write(enc.encode(`${prefix} ${line}\n`));
  }
  if (buffered) await out.write(enc.encode(`${prefix} ${buffered}\n`));
}

const env: Record<string, string> = { ...Deno.env.toObject(), DATA_DIR: dataDir };
// Each side finds the other on this machine, also when PORT or GATEWAY_PORT is not the default.
env.WEB_INTERNAL_URL ??= `http://127.0.0.1:${env.PORT ?? "8000"}`;
env.GATEWAY_URL ??= `http://127.0.0.1:${env.GATEWAY_PORT ?? "8090"}`;
// What browsers connect to; both read it (the gateway hands it out, the meeting page's CSP allows it).
env.JANUS_WS_URL ??= `ws://127.0.0.1:${env.JANUS_WS_PORT ?? "8188"}/`;
const children: { name: string; child: Deno.ChildProcess }[] = [];

if (hasJanus()) {
  env.GATEWAY_SECRET = await gatewaySecret();
  const gateway = new Deno.Command(DENO, {
    args: ["run", "-A", "gateway/main.ts"],
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  children.push({ name: "gateway", child: gateway });
} else {
  console.warn(
    "start: Janus is not installed (run as root to have it installed): meetings will have no audio or video",
  );
}

const web = new Deno.Command(DENO, { args: ["run", "-A", "main.ts"], cwd: ROOT, env, stdout: "piped", stderr: "piped" })
  .spawn();
children.push({ name: "web", child: web });

const pumps = children.flatMap(({ name, child }) => [
  pipe(child.stdout, `[${name}]`, Deno.stdout),
  pipe(child.stderr, `[${name}]`, Deno.stderr),
]);

let stopping = false;
async function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  for (const { child } of children) {
    try {
      child.kill("SIGTERM");
    } catch { /* already gone */ }
  }
  const timer = setTimeout(() => {
    for (const { child } of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }
  }, 5000);
  await Promise.all(children.map(({ child }) => child.status));
  clearTimeout(timer);
  await Promise.allSettled(pumps);
  Deno.exit(code);
}

for (const sig of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(sig, () => stopAll(0));
// Whichever process ends first takes the others down: half a Talkspace is worse than none.
const first = await Promise.race(children.map(async ({ name, child }) => ({ name, status: await child.status })));
if (!stopping) {
  console.error(`start: ${first.name} exited with code ${first.status.code}; stopping the rest`);
  await stopAll(first.status.code || 1);
}
