// A throw-away network namespace with a veth pair for media tests: Janus never gathers ICE
// candidates on loopback, so Janus, servers and Chromium run inside with a 10.x.y.0/24 link.
// The host end stays in the root namespace; IPv6 is off inside so only the veth address is used.

export interface NetNs {
  /** Namespace name (for `ip netns exec`). */
  name: string;
  /** veth end inside the namespace: use it as Janus's ice_enforce_list. */
  innerIf: string;
  /** veth end in the root namespace. */
  hostIf: string;
  /** Address inside the namespace (10.x.y.2). */
  innerAddress: string;
  /** Address of the host end (10.x.y.1). */
  hostAddress: string;
  /** Runs a command inside the namespace and waits for it. */
  exec(cmd: string[], options?: { env?: Record<string, string> }): Promise<Deno.CommandOutput>;
  /** Starts a long-running command inside the namespace (the caller stops it by PID). */
  spawn(cmd: string[], options?: Omit<Deno.CommandOptions, "args">): Deno.ChildProcess;
  /** Deletes the namespace and the veth pair; safe to call twice. */
  destroy(): Promise<void>;
}

export type NetNsAvailability = { ok: true } | { ok: false; reason: string };

async function run(args: string[]): Promise<Deno.CommandOutput> {
  return await new Deno.Command(args[0], { args: args.slice(1), stdout: "piped", stderr: "piped" }).output();
}

async function must(args: string[]): Promise<void> {
  const out = await run(args);
  if (!out.success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** Whether this process can create namespaces: root and a working `ip netns`. */
export async function netnsAvailability(): Promise<NetNsAvailability> {
  if (Deno.build.os !== "linux") return { ok: false, reason: "network namespaces need Linux" };
  if (Deno.uid() !== 0) return { ok: false, reason: "network namespaces need root (run the tests as root)" };
  try {
    const out = await run(["ip", "netns", "list"]);
    if (!out.success) return { ok: false, reason: `ip netns does not work: ${new TextDecoder().decode(out.stderr)}` };
  } catch {
    return { ok: false, reason: "the ip command (iproute2) is not installed" };
  }
  return { ok: true };
}

/**
 * Creates a namespace with a veth pair in a random 10.77-10.126 /24, or answers `null` with the
 * reason when that is impossible here (tests then skip and print the reason). Everything made so
 * far is removed again when a step fails.
 */
export async function createNetNs(): Promise<NetNs | { skip: string }> {
  const avail = await netnsAvailability();
  if (!avail.ok) return { skip: avail.reason };
  const tag = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("");
  const name = `ts-${tag}`;
  // Interface names are limited to 15 characters.
  const hostIf = `tsh${tag}`;
  const innerIf = `tsi${tag}`;
  const [a, b] = crypto.getRandomValues(new Uint8Array(2));
  const net = `10.${77 + (a % 50)}.${b}`;
  const hostAddress = `${net}.1`;
  const innerAddress = `${net}.2`;

  let destroyed = false;
  const destroy = async () => {
    if (destroyed) return;
    destroyed = true;
    // Deleting the namespace deletes the veth end inside it, and with it the pair; delete the
    // host end explicitly too in case the move into the namespace never happened.
    await run(["ip", "netns", "del", name]);
    await run(["ip", "link", "del", hostIf]);
  };

  try {
    await must(["ip", "netns", "add", name]);
    await must(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", innerIf]);
    await must(["ip", "link", "set", innerIf, "netns", name]);
    await must(["ip", "addr", "add", `${hostAddress}/24`, "dev", hostIf]);
    await must(["ip", "link", "set", hostIf, "up"]);
    const inNs = (args: string[]) => must(["ip", "netns", "exec", name, ...args]);
    await inNs(["sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
    await inNs(["sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"]);
    await inNs(["ip", "link", "set", "lo", "up"]);
    await inNs(["ip", "addr", "add", `${innerAddress}/24`, "dev", innerIf]);
    await inNs(["ip", "link", "set", innerIf, "up"]);
    await inNs(["ip", "route", "add", "default", "via", hostAddress]);
  } catch (err) {
    await destroy();
    throw err;
  }

  return {
    name,
    innerIf,
    hostIf,
    innerAddress,
    hostAddress,
    exec: async (cmd, options = {}) =>
      await new Deno.Command("ip", {
        args: ["netns", "exec", name, ...cmd],
        env: options.env,
        stdout: "piped",
        stderr: "piped",
      }).output(),
    spawn: (cmd, options = {}) => new Deno.Command("ip", { ...options, args: ["netns", "exec", name, ...cmd] }).spawn(),
    destroy,
  };
}

/** Runs `fn` with a fresh namespace and always tears it down; answers the skip reason instead when impossible. */
export async function withNetNs<T>(fn: (ns: NetNs) => Promise<T>): Promise<T | { skip: string }> {
  const ns = await createNetNs();
  if ("skip" in ns) return ns;
  try {
    return await fn(ns);
  } finally {
    await ns.destroy();
  }
}
