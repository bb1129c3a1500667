// Chat fan-out: 100 meeting sockets of the real web app (`/meetings/<id>/ws`, KV in a sqlite file as
// `npm start` runs it) in one meeting, against a bare Deno.serve WebSocket broadcast server (no KV, one
// JSON.stringify per message) doing the same fan-out, side by side in one run.
//   (a) latency: one chat message from one socket until the last of the 100 has it, repeated and
//       spaced so they never overlap (p50/p95/p99);
//   (b) load: 1,000 messages/s for 10 s from many senders; every receiver must get every message
//       exactly once, ids gap-free, in the same total order as every other receiver.
// The clients run in Workers (several threads) so that the bench's own JSON parsing is not the
// bottleneck. This one file has three roles: main (below), the client Worker and the bare server
// (`--bare-server <port>`), so the comparison needs nothing but this file.
//
// Options: BENCH_SOCKETS (100), BENCH_PINGS (200), BENCH_RATE (1000 messages/s), BENCH_SECONDS (10),
// BENCH_SENDERS (50), BENCH_WORKERS (4), BENCH_ONLY (ours|bare), BENCH_TIMEOUT seconds (400),
// BENCH_STRICT=1 (exit 1 when ours misses a goal).

import { FRAME_SEPARATOR } from "../lib/contracts/socket_frames.ts";

const WORKER_NAME = "chat-fanout-client";
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// Wire between main and the client workers.

interface SocketSpec {
  index: number;
  url: string;
  cookie?: string;
}

type ToWorker =
  | { op: "open"; sockets: SocketSpec[] }
  | { op: "lat-send"; index: number; k: number }
  | { op: "tp-start"; senders: number[]; perSender: number; ratePerSender: number; startAt: number; total: number }
  | { op: "tp-report" }
  | { op: "close" };

interface SocketReport {
  index: number;
  received: number;
  duplicates: number;
  outOfOrder: number;
  idGaps: number;
  digest: number;
  lastAt: number;
}

type FromWorker =
  | { op: "opened"; count: number }
  | { op: "failed"; error: string }
  | { op: "lat-sent"; k: number; t: number }
  | { op: "lat-done"; k: number; t: number }
  | { op: "tp-sent"; firstAt: number; lastAt: number; sent: number }
  | { op: "tp-complete" }
  | { op: "tp-report"; sockets: SocketReport[]; histogram: Uint32Array }
  | { op: "closed" };

/** Latency histogram bins: 0.1 ms each up to 30 s. */
const BIN_MS = 0.1;
const BINS = 300_000;

// ---------------------------------------------------------------------------------------------
// Client worker: holds a slice of the sockets, sends when told, checks what every socket receives.

function clientWorker() {
  const DenoWebSocket = WebSocket as unknown as new (url: string, options?: { headers?: HeadersInit }) => WebSocket;
  const post = (m: FromWorker, transfer: Transferable[] = []) =>
    (self as unknown as { postMessage(m: unknown, t: Transferable[]): void }).postMessage(m, transfer);
  interface Client {
    index: number;
    ws: WebSocket;
    lastId: number;
    latSeen: Set<number>;
    // Throughput phase: the next number expected from each sender, and the checks.
    next: Map<number, number>;
    r: SocketReport;
  }
  const clients = new Map<number, Client>();
  const latCount = new Map<number, { n: number; t: number }>();
  let tpTotal = Infinity;
  let tpCompleteSockets = 0;
  const histogram = new Uint32Array(BINS);

  function onChat(c: Client, id: number, text: string, t: number) {
    if (text.startsWith("lat:")) {
      const k = Number(text.slice(4));
      if (c.latSeen.has(k)) return;
      c.latSeen.add(k);
      const entry = latCount.get(k) ?? { n: 0, t: 0 };
      entry.n++;
      entry.t = Math.max(entry.t, t);
      latCount.set(k, entry);
      if (entry.n === clients.size) {
        latCount.delete(k);
        post({ op: "lat-done", k, t: entry.t });
      }
      return;
    }
    if (!text.startsWith("tp:")) return;
    const [, s, n, sentAt] = text.split(":");
    const sender = Number(s);
    const seq = Number(n);
    const expected = c.next.get(sender) ?? 0;
    if (seq < expected) {
      c.r.duplicates++;
      return;
    }
    if (seq > expected) c.r.outOfOrder++;
    c.next.set(sender, seq + 1);
    c.r.received++;
    c.r.lastAt = t;
    // FNV-style rolling hash over (id, sender, seq): equal digests = the same total order.
    c.r.digest = Math.imul(c.r.digest ^ id, 16777619) >>> 0;
    c.r.digest = Math.imul(c.r.digest ^ (sender * 100_003 + seq), 16777619) >>> 0;
    const bin = Math.min(BINS - 1, Math.max(0, Math.floor((t - Number(sentAt)) / BIN_MS)));
    histogram[bin]++;
    if (c.r.received === tpTotal) {
      tpCompleteSockets++;
      if (tpCompleteSockets === clients.size) post({ op: "tp-complete" });
    }
  }

  async function open(specs: SocketSpec[]) {
    // A few at a time: each hello is a participant joining (KV writes, a message to everyone).
    const queue = [...specs];
    const one = async () => {
      for (let spec = queue.shift(); spec; spec = queue.shift()) {
        const ws = new DenoWebSocket(spec.url, spec.cookie ? { headers: { cookie: spec.cookie } } : undefined);
        const c: Client = {
          index: spec.index,
          ws,
          lastId: 0,
          latSeen: new Set(),
          next: new Map(),
          r: { index: spec.index, received: 0, duplicates: 0, outOfOrder: 0, idGaps: 0, digest: 2166136261, lastAt: 0 },
        };
        const welcomed = new Promise<void>((resolve, reject) => {
          ws.addEventListener("open", () => ws.send(JSON.stringify({ type: "hello" })));
          ws.addEventListener("error", () => reject(new Error(`socket ${spec.index} failed`)));
          ws.addEventListener("close", (e) => reject(new Error(`socket ${spec.index} closed: ${e.code} ${e.reason}`)));
          ws.addEventListener("message", (e) => {
            const t = now();
            for (const text of String(e.data).split(FRAME_SEPARATOR)) {
              const m = JSON.parse(text);
              if (m.type === "welcome") {
                c.lastId = m.lastId ?? 0;
                resolve();
                continue;
              }
              if (typeof m.id !== "number") continue;
              if (m.id !== c.lastId + 1) c.r.idGaps++;
              c.lastId = Math.max(c.lastId, m.id);
              if (m.type === "chat") onChat(c, m.id, m.data.message.text, t);
            }
          });
        });
        await welcomed;
        clients.set(spec.index, c);
      }
    };
    await Promise.all(Array.from({ length: 4 }, one));
  }

  function tpSend(msg: Extract<ToWorker, { op: "tp-start" }>) {
    tpTotal = msg.total;
    const sent = new Map<number, number>(msg.senders.map((s) => [s, 0]));
    let firstAt = 0;
    let lastAt = 0;
    let total = 0;
    // Every sender sends at its own steady rate; its start is staggered so that, together, the
    // messages are spread evenly over each second instead of arriving in bursts.
    const offsets = new Map(msg.senders.map((s) => [s, (s * 7919 % 1000) / 1000 / msg.ratePerSender * 1000]));
    const tick = () => {
      const t = now();
      for (const s of msg.senders) {
        const due = Math.min(
          msg.perSender,
          Math.floor(((t - msg.startAt - offsets.get(s)!) / 1000) * msg.ratePerSender) + 1,
        );
        let n = sent.get(s)!;
        while (n < due) {
          const at = now();
          clients.get(s)!.ws.send(JSON.stringify({ type: "chat", text: `tp:${s}:${n}:${at.toFixed(3)}` }));
          if (!firstAt) firstAt = at;
          lastAt = at;
          n++;
          total++;
        }
        sent.set(s, n);
      }
      if (total < msg.perSender * msg.senders.length) setTimeout(tick, 2);
      else post({ op: "tp-sent", firstAt, lastAt, sent: total });
    };
    setTimeout(tick, Math.max(0, msg.startAt - now()));
  }

  self.onmessage = async (e: MessageEvent<ToWorker>) => {
    const msg = e.data;
    try {
      if (msg.op === "open") {
        await open(msg.sockets);
        post({ op: "opened", count: clients.size });
      } else if (msg.op === "lat-send") {
        const t = now();
        clients.get(msg.index)!.ws.send(JSON.stringify({ type: "chat", text: `lat:${msg.k}` }));
        post({ op: "lat-sent", k: msg.k, t });
      } else if (msg.op === "tp-start") {
        if (msg.senders.length) tpSend(msg);
        if (tpTotal === Infinity) tpTotal = msg.total;
      } else if (msg.op === "tp-report") {
        post({ op: "tp-report", sockets: [...clients.values()].map((c) => c.r), histogram }, [histogram.buffer]);
      } else if (msg.op === "close") {
        await Promise.all([...clients.values()].map((c) =>
          new Promise<void>((resolve) => {
            if (c.ws.readyState === WebSocket.CLOSED) return resolve();
            c.ws.addEventListener("close", () => resolve());
            c.ws.close();
          })
        ));
        post({ op: "closed" });
      }
    } catch (err) {
      post({ op: "failed", error: String((err as Error)?.message ?? err) });
    }
  };
}

// ---------------------------------------------------------------------------------------------
// Bare baseline server: every chat frame gets the next id and goes to every socket as one string.

function bareServer(port: number) {
  const sockets = new Set<WebSocket>();
  let seq = 0;
  const ac = new AbortController();
  Deno.addSignalListener("SIGTERM", () => ac.abort());
  const server = Deno.serve({ port, hostname: "127.0.0.1", signal: ac.signal, onListen: () => {} }, (req) => {
    if (new URL(req.url).pathname === "/healthz") return new Response("ok");
    const { socket, response } = Deno.upgradeWebSocket(req);
    const participantId = crypto.randomUUID();
    socket.onmessage = (e) => {
      const m = JSON.parse(String(e.data));
      if (m.type === "hello") {
        socket.send(JSON.stringify({ type: "welcome", participantId, lastId: seq }));
        sockets.add(socket);
      } else if (m.type === "chat") {
        const id = ++seq;
        const at = new Date().toISOString();
        const text = JSON.stringify({
          id,
          type: "chat",
          at,
          data: { message: { id, at, from: { participantId, name: "Guest" }, to: null, text: m.text } },
        });
        for (const s of sockets) if (s.readyState === WebSocket.OPEN) s.send(text);
      }
    };
    socket.onclose = () => sockets.delete(socket);
    return response;
  });
  server.finished.then(() => Deno.exit(0));
}

// ---------------------------------------------------------------------------------------------
// Main: start each server, admit and connect the sockets, run both phases, print the table.

interface Options {
  sockets: number;
  pings: number;
  rate: number;
  seconds: number;
  senders: number;
  workers: number;
}

interface Result {
  latency: number[];
  latLost: number;
  tp: {
    expected: number;
    sent: number;
    sendSeconds: number;
    drainMs: number;
    deliveredPerSecond: number;
    missing: number;
    duplicates: number;
    outOfOrder: number;
    idGaps: number;
    orders: number;
    p50: number;
    p99: number;
    max: number;
  };
}

async function main() {
  const { Cleanup, percentile, positiveInt, printTable, track, poll } = await import("./support/common.ts");
  const { startServer, freePort } = await import("../tests/support/server.ts");
  const { cookieHeader, httpClient } = await import("../tests/support/meeting_sockets.ts");
  const { createMeeting } = await import("../lib/meetings/store.ts");
  const { createUser } = await import("../lib/accounts/users.ts");
  const { createSession } = await import("../lib/accounts/sessions.ts");

  const o: Options = {
    sockets: positiveInt("BENCH_SOCKETS", 100),
    pings: positiveInt("BENCH_PINGS", 200),
    rate: positiveInt("BENCH_RATE", 1000),
    seconds: positiveInt("BENCH_SECONDS", 10),
    senders: positiveInt("BENCH_SENDERS", 50),
    workers: positiveInt("BENCH_WORKERS", 4),
  };
  if (o.senders > o.sockets) throw new Error("BENCH_SENDERS must not exceed BENCH_SOCKETS");
  if (o.rate % o.senders) throw new Error("BENCH_RATE must be a multiple of BENCH_SENDERS (each sender steady)");
  const only = Deno.env.get("BENCH_ONLY");
  const cleanup = new Cleanup();
  cleanup.install(positiveInt("BENCH_TIMEOUT", 400) * 1000);

  /** Runs both phases against sockets at `specs` (already admitted). */
  async function run(label: string, specs: SocketSpec[]): Promise<Result> {
    const workers: Worker[] = [];
    const inbox: ((m: FromWorker) => void)[] = [];
    for (let i = 0; i < o.workers; i++) {
      const w = new Worker(import.meta.url, { type: "module", name: WORKER_NAME });
      w.onmessage = (e: MessageEvent<FromWorker>) => {
        if (e.data.op === "failed") console.error(`bench: ${label} client failed: ${e.data.error}`);
        for (const f of inbox) f(e.data);
      };
      workers.push(w);
    }
    cleanup.add(`stop ${label} client workers`, () => workers.forEach((w) => w.terminate()));
    const ownerOf = (index: number) => workers[index % o.workers];
    /** Waits for `n` messages matching `match` from the workers (bounded). */
    const collect = <T extends FromWorker>(match: (m: FromWorker) => m is T, n: number, ms: number) =>
      new Promise<T[]>((resolve, reject) => {
        const got: T[] = [];
        const f = (m: FromWorker) => {
          if (m.op === "failed") return done(new Error(m.error));
          if (!match(m)) return;
          got.push(m);
          if (got.length >= n) done();
        };
        const timer = setTimeout(() => done(new Error(`timed out: ${got.length} of ${n}`)), ms);
        const done = (err?: Error) => {
          clearTimeout(timer);
          inbox.splice(inbox.indexOf(f), 1);
          if (err) reject(Object.assign(err, { partial: got }));
          else resolve(got);
        };
        inbox.push(f);
      });
    const is = <K extends FromWorker["op"]>(op: K) => (m: FromWorker): m is Extract<FromWorker, { op: K }> =>
      m.op === op;

    // Connect.
    const opened = collect(is("opened"), o.workers, 120_000);
    workers.forEach((w, i) => w.postMessage({ op: "open", sockets: specs.filter((s) => s.index % o.workers === i) }));
    const counts = await opened;
    const connected = counts.reduce((a, m) => a + m.count, 0);
    if (connected !== o.sockets) throw new Error(`${label}: only ${connected} sockets joined`);
    console.error(`bench: ${label}: ${connected} sockets in the meeting`);

    // (a) One message to everyone, one at a time.
    const latency: number[] = [];
    let latLost = 0;
    for (let k = 0; k < o.pings; k++) {
      const index = (k * 37) % o.sockets;
      const sent = collect(is("lat-sent"), 1, 10_000);
      const done = collect(
        (m): m is Extract<FromWorker, { op: "lat-done" }> => m.op === "lat-done" && m.k === k,
        o.workers,
        5_000,
      );
      ownerOf(index).postMessage({ op: "lat-send", index, k });
      try {
        const [[s], d] = await Promise.all([sent, done]);
        latency.push(Math.max(...d.map((m) => m.t)) - s.t);
      } catch {
        latLost++;
      }
      // Spaced: the next one starts 20 ms after the last receiver had this one.
      await new Promise((r) => setTimeout(r, 20));
    }

    // (b) Steady load from many senders.
    const perSender = (o.rate / o.senders) * o.seconds;
    const expected = perSender * o.senders;
    const senders = Array.from({ length: o.senders }, (_, i) => Math.floor((i * o.sockets) / o.senders));
    const startAt = now() + 300;
    const sentMsgs = collect(is("tp-sent"), new Set(senders.map((s) => s % o.workers)).size, (o.seconds + 60) * 1000);
    const complete = collect(is("tp-complete"), o.workers, (o.seconds + 60) * 1000);
    workers.forEach((w, i) =>
      w.postMessage({
        op: "tp-start",
        senders: senders.filter((s) => s % o.workers === i),
        perSender,
        ratePerSender: o.rate / o.senders,
        startAt,
        total: expected,
      })
    );
    const sentReports = await sentMsgs;
    const sendFirst = Math.min(...sentReports.map((m) => m.firstAt));
    const sendLast = Math.max(...sentReports.map((m) => m.lastAt));
    const sent = sentReports.reduce((a, m) => a + m.sent, 0);
    // Everything should arrive soon after the last send; allow 30 s before calling the rest lost.
    await Promise.race([complete, new Promise((r) => setTimeout(r, 30_000))]).catch(() => {});
    const reportsP = collect(is("tp-report"), o.workers, 30_000);
    workers.forEach((w) => w.postMessage({ op: "tp-report" }));
    const rs = await reportsP;
    const sockets = rs.flatMap((r) => r.sockets);
    const histogram = new Uint32Array(BINS);
    for (const r of rs) for (let i = 0; i < BINS; i++) histogram[i] += r.histogram[i];
    const pct = (p: number) => {
      const total = histogram.reduce((a, b) => a + b, 0);
      let acc = 0;
      for (let i = 0; i < BINS; i++) {
        acc += histogram[i];
        if (acc >= Math.ceil((p / 100) * total)) return (i + 1) * BIN_MS;
      }
      return NaN;
    };
    const lastDelivery = Math.max(...sockets.map((s) => s.lastAt));
    const received = sockets.reduce((a, s) => a + s.received, 0);

    const closed = collect(is("closed"), o.workers, 30_000);
    workers.forEach((w) => w.postMessage({ op: "close" }));
    await closed.catch(() => {});
    workers.forEach((w) => w.terminate());
    return {
      latency,
      latLost,
      tp: {
        expected,
        sent,
        sendSeconds: (sendLast - sendFirst) / 1000,
        drainMs: lastDelivery - sendLast,
        deliveredPerSecond: expected / ((lastDelivery - sendFirst) / 1000),
        missing: expected * o.sockets - received,
        duplicates: sockets.reduce((a, s) => a + s.duplicates, 0),
        outOfOrder: sockets.reduce((a, s) => a + s.outOfOrder, 0),
        idGaps: sockets.reduce((a, s) => a + s.idGaps, 0),
        orders: new Set(sockets.map((s) => s.digest)).size,
        p50: pct(50),
        p99: pct(99),
        max: pct(100),
      },
    };
  }

  async function ours(): Promise<Result> {
    const dataDir = await Deno.makeTempDir({ prefix: "talkspace-bench-chat-" });
    cleanup.add("remove the data directory", () => Deno.remove(dataDir, { recursive: true }));
    const web = await startServer({
      DATA_DIR: dataDir,
      TALKSPACE_LOG: "quiet",
      // The load phase sends 1,000 messages/s into one meeting, 20/s per sender: far past the default
      // flood limits (5/s a person, 50/s a meeting), which would refuse most of it by design.
      CHAT_LIMIT_PER_PERSON: "100/100",
      CHAT_LIMIT_PER_MEETING: "5000/5000",
    });
    cleanup.add("stop the web server", () => web.stop());
    const kv = await Deno.openKv(`${dataDir}/talkspace.kv`);
    const specs: SocketSpec[] = [];
    try {
      const host = await createUser(kv, { name: "Host", email: "host@example.org", passwordHash: "unused" });
      const meeting = await createMeeting(kv, { hostId: host.id, title: "Chat fan-out", settings: { lobby: false } });
      const wsUrl = `${web.url.replace(/^http/, "ws")}/meetings/${meeting.meetingId}/ws`;
      const hostHttp = httpClient(web);
      hostHttp.cookies.set("ts_session", (await createSession(kv, host.id, "full")).token);
      const page = await hostHttp.get(`/m/${meeting.meetingId}`);
      await page.body?.cancel();
      if (page.status !== 303) throw new Error(`host admission: ${page.status}`);
      specs.push({ index: 0, url: wsUrl, cookie: cookieHeader(hostHttp) });
      for (let i = 1; i < o.sockets; i++) {
        const guest = httpClient(web);
        const res = await guest.postForm("/join", {
          meetingId: meeting.meetingId,
          passcode: meeting.passcode,
          name: `Guest ${i}`,
        });
        await res.body?.cancel();
        if (res.status !== 303) throw new Error(`guest ${i} admission: ${res.status}`);
        specs.push({ index: i, url: wsUrl, cookie: cookieHeader(guest) });
      }
    } finally {
      kv.close(); // the web process is the only writer while measuring
    }
    try {
      return await run("ours", specs);
    } catch (err) {
      console.error(web.output().slice(-3000));
      throw err;
    }
  }

  async function bare(): Promise<Result> {
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--bare-server", String(port)],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const proc = track("bare broadcast server", child);
    cleanup.add("stop the bare server", () => proc.stop());
    await poll("the bare server", async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        await res.body?.cancel();
        return res.ok;
      } catch {
        return false;
      }
    });
    const specs = Array.from({ length: o.sockets }, (_, index) => ({ index, url: `ws://127.0.0.1:${port}/ws` }));
    return await run("bare", specs);
  }

  let exitCode = 0;
  try {
    const load = () => Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
    console.log(
      `chat fan-out: ${o.sockets} sockets, ${o.pings} single messages, then ${o.rate} messages/s for ${o.seconds} s ` +
        `from ${o.senders} senders (${o.rate / o.senders}/s each); load average before: ${load()}`,
    );
    const results: { label: string; r: Result }[] = [];
    if (only !== "bare") results.push({ label: "ours", r: await ours() });
    if (only !== "ours") results.push({ label: "bare", r: await bare() });
    const ms = (x: number) => x.toFixed(1);
    const rows: [string, (r: Result) => string][] = [
      ["(a) p50 ms, one message to all", (r) => ms(percentile(r.latency, 50))],
      ["(a) p95 ms", (r) => ms(percentile(r.latency, 95))],
      ["(a) p99 ms (goal < 50)", (r) => ms(percentile(r.latency, 99))],
      ["(a) max ms", (r) => ms(Math.max(...r.latency))],
      ["(a) not delivered to all in 5 s", (r) => String(r.latLost)],
      ["(b) messages sent", (r) => `${r.tp.sent}/${r.tp.expected}`],
      ["(b) send span s", (r) => r.tp.sendSeconds.toFixed(2)],
      ["(b) delivered to all, messages/s", (r) => r.tp.deliveredPerSecond.toFixed(0)],
      ["(b) drain after last send ms", (r) => ms(r.tp.drainMs)],
      ["(b) delivery p50 ms", (r) => ms(r.tp.p50)],
      ["(b) delivery p99 ms", (r) => ms(r.tp.p99)],
      ["(b) delivery max ms", (r) => ms(r.tp.max)],
      ["(b) missing deliveries", (r) => String(r.tp.missing)],
      ["(b) duplicates", (r) => String(r.tp.duplicates)],
      ["(b) out of order (per sender)", (r) => String(r.tp.outOfOrder)],
      ["(b) id gaps", (r) => String(r.tp.idGaps)],
      ["(b) distinct total orders", (r) => String(r.tp.orders)],
    ];
    const header = ["", ...results.map((x) => x.label)];
    const ratio = results.length === 2;
    if (ratio) header.push("ours ÷ bare");
    printTable(
      header,
      rows.map(([name, f]) => {
        const cells = [name, ...results.map((x) => f(x.r))];
        if (ratio && /ms|messages\/s/.test(name)) {
          const [a, b] = results.map((x) => Number(f(x.r)));
          cells.push(b ? (a / b).toFixed(2) : "");
        } else if (ratio) cells.push("");
        return cells;
      }),
    );
    console.log(`load average after: ${load()}`);
    const mine = results.find((x) => x.label === "ours")?.r;
    if (mine) {
      const t = mine.tp;
      const goals = [
        ["(a) p99 < 50 ms", percentile(mine.latency, 99) < 50 && mine.latLost === 0],
        ["(b) 1,000/s delivered", t.sendSeconds <= o.seconds * 1.1 && t.drainMs < 1000],
        [
          "(b) none lost, duplicated or reordered",
          !t.missing && !t.duplicates && !t.outOfOrder && !t.idGaps && t.orders === 1,
        ],
      ] as const;
      for (const [g, ok] of goals) console.log(`${ok ? "met " : "MISSED"}  ${g}`);
      if (Deno.env.get("BENCH_STRICT") === "1" && goals.some(([, ok]) => !ok)) exitCode = 1;
    }
  } catch (err) {
    console.error(`bench: ${err instanceof Error ? err.stack : err}`);
    exitCode = 1;
  } finally {
    await cleanup.run();
  }
  Deno.exit(exitCode);
}

if (Deno.args[0] === "--bare-server") bareServer(Number(Deno.args[1]));
else if ((self as { name?: string }).name === WORKER_NAME) clientWorker();
else if (import.meta.main) await main();
