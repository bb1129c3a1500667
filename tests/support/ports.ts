// Ports for the servers and peers the tests start as child processes.
//
// Binding port 0 and closing it again hands out a port from the kernel's ephemeral range
// (net.ipv4.ip_local_port_range, 32768–60999 on Debian), the same range the kernel draws from for
// the local end of every outgoing connection and every other `port: 0` bind. Between our close and
// the child's bind, Chromium, Janus or any client socket may take it: sipp then exits 254 with
// "Unable to bind main socket, errno = 98". Ports above the ephemeral range are never handed out
// by the kernel on its own, so only an explicit bind can hold one. We walk them in order from a
// random start (one test file runs at a time, so ports are not reused within a run) and take the
// first one that is free for both TCP and UDP on loopback.

const FALLBACK_EPHEMERAL: [number, number] = [32768, 60999];

function ephemeralRange(): [number, number] {
  try {
    const m = /^(\d+)\s+(\d+)/.exec(Deno.readTextFileSync("/proc/sys/net/ipv4/ip_local_port_range"));
    if (m) return [Number(m[1]), Number(m[2])];
  } catch {
    // not Linux, or /proc is not readable: assume Debian's default
  }
  return FALLBACK_EPHEMERAL;
}

const [, EPHEMERAL_HI] = ephemeralRange();
const LO = EPHEMERAL_HI + 1;
const HI = 65535;
let next = LO + Math.floor(Math.random() * (HI - LO + 1));

function bindable(port: number): boolean {
  let tcp: Deno.Listener | null = null;
  let udp: Deno.DatagramConn | null = null;
  try {
    tcp = Deno.listen({ hostname: "127.0.0.1", port });
    udp = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port });
    return true;
  } catch (err) {
    // Only "taken" means try the next port; anything else (no --unstable-net for listenDatagram,
    // no permission) would otherwise be reported as "no free port" after walking the whole range.
    if (err instanceof Deno.errors.AddrInUse) return false;
    throw err;
  } finally {
    tcp?.close();
    udp?.close();
  }
}

/**
 * A loopback port that is free for TCP and UDP and that the kernel will not hand to anyone else.
 * With `count`, the first of that many consecutive free ports, all kept from later calls: sipp's
 * `-mp N` binds N for audio and N+2 for video, so its media port needs a block of 4.
 */
export function freePort(count = 1): number {
  if (HI - LO < 100) {
    if (count > 1) throw new Error(`no quiet port range above the ephemeral ports for a block of ${count}`);
    // The ephemeral range reaches (almost) 65535: there is no quiet range; let the kernel choose.
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (l.addr as Deno.NetAddr).port;
    l.close();
    return port;
  }
  for (let tried = 0; tried <= HI - LO; tried++) {
    if (next + count - 1 > HI) next = LO;
    const base = next;
    next += count;
    let free = true;
    for (let p = base; p < base + count && free; p++) free = bindable(p);
    if (free) return base;
  }
  throw new Error(`no ${count} free loopback port(s) in ${LO}-${HI}`);
}
