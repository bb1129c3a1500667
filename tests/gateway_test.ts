// The gateway as a process with its real Janus: health, the room and participant API, signing,
// recovery after Janus is killed, timings; plus a smoke test of the network-namespace harness.

import assert from "node:assert/strict";
import { RawJanus, type RunningGateway, startGateway, waitFor } from "./support/gateway.ts";
import { createNetNs, netnsAvailability } from "./support/netns.ts";

const MEETING = "3000000001";
/** The gateway's answer to a request without a good signature: problem details, no reason given. */
const UNSIGNED = {
  type: "about:blank",
  title: "Sign in required",
  status: 401,
  detail: "the request is not signed with the shared secret",
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return await res.json();
}

Deno.test("gateway: starts Janus, manages rooms and participants, survives a Janus crash", async (t) => {
  // Start a few times for the start-up number; the last gateway serves the remaining steps.
  const startups: number[] = [];
  let gateway: RunningGateway | null = null;
  try {
    for (let i = 0; i < 3; i++) {
      if (gateway) await gateway.stop();
      gateway = null;
      gateway = await startGateway();
      startups.push(gateway.startupMs);
    }
    console.log(
      `start-up to /health connected: median ${median(startups).toFixed(0)} ms (runs: ${
        startups.map((s) => s.toFixed(0)).join(", ")
      })`,
    );
    const gw = gateway!;

    await t.step("/health says connected, no rooms yet", async () => {
      assert.deepEqual(await gw.health(), { ok: true, janus: "connected", rooms: 0 });
    });

    await t.step("unsigned and badly signed requests get a 401 problem that does not say why", async () => {
      const unsigned = await fetch(`${gw.url}/internal/rooms/${MEETING}`, { method: "PUT", body: "{}" });
      assert.equal(unsigned.status, 401);
      assert.equal(unsigned.headers.get("content-type"), "application/problem+json");
      assert.deepEqual(await unsigned.json(), UNSIGNED);
      const forged = await fetch(`${gw.url}/internal/rooms/${MEETING}`, {
        method: "PUT",
        body: "{}",
        headers: { "X-Talkspace-Timestamp": String(Date.now()), "X-Talkspace-Signature": "00".repeat(32) },
      });
      assert.equal(forged.status, 401);
      assert.deepEqual(await forged.json(), UNSIGNED);
      assert.equal((await gw.health()).rooms, 0, "a refused request must not create a room");
    });

    await t.step("PUT room is idempotent", async () => {
      const first = await gw.request("PUT", `/internal/rooms/${MEETING}`, { title: "Weekly", maxPublishers: 20 });
      assert.equal(first.status, 201);
      assert.deepEqual(await json(first), { room: Number(MEETING) });
      const second = await gw.request("PUT", `/internal/rooms/${MEETING}`, { title: "Weekly" });
      assert.equal(second.status, 200);
      assert.deepEqual(await json(second), { room: Number(MEETING) });
      assert.equal((await gw.health()).rooms, 1);
      const bad = await gw.request("PUT", `/internal/rooms/12ab`, {});
      // Field errors answer 422 problem details, the same shape and status as the web app's.
      assert.equal(bad.status, 422);
      const problem = await json(bad);
      assert.deepEqual([problem.status, Object.keys(problem.errors as object)], [422, ["meetingId"]]);
    });

    let tokenA = "";
    await t.step("POST participant returns a token and a feed id; repeating it returns the same", async () => {
      const res = await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: "alice" });
      assert.equal(res.status, 200);
      const body = await json(res);
      assert.equal(body.room, Number(MEETING));
      assert.equal(typeof body.janusToken, "string");
      assert.ok((body.janusToken as string).length >= 32);
      assert.ok(Number.isInteger(body.feedId) && (body.feedId as number) > 0);
      assert.equal(body.janusUrl, gw.janusWsUrl);
      assert.deepEqual(body.iceServers, []);
      tokenA = body.janusToken as string;
      const again = await json(
        await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: "alice" }),
      );
      assert.deepEqual(again, body);
      const bob = await json(
        await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: "bob" }),
      );
      assert.notEqual(bob.janusToken, body.janusToken);
      assert.notEqual(bob.feedId, body.feedId);
      const missing = await gw.request("POST", `/internal/rooms/3000000999/participants`, { participantId: "x" });
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    });

    await t.step("participant admission round trip, 50 calls", async () => {
      const times: number[] = [];
      for (let i = 0; i < 50; i++) {
        const started = performance.now();
        const res = await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: `p${i}` });
        await res.json();
        times.push(performance.now() - started);
        assert.equal(res.status, 200);
      }
      console.log(
        `POST participants round trip over 50 calls: median ${median(times).toFixed(2)} ms, max ${
          Math.max(...times).toFixed(2)
        } ms`,
      );
    });

    await t.step("DELETE participant revokes the token; repeating it is harmless", async () => {
      const res = await gw.request("DELETE", `/internal/rooms/${MEETING}/participants/alice`);
      assert.deepEqual(await json(res), { removed: true });
      const again = await gw.request("DELETE", `/internal/rooms/${MEETING}/participants/alice`);
      assert.deepEqual(await json(again), { removed: false });
      const janus = await RawJanus.open(gw.janusWsUrl);
      try {
        const session = await janus.createSession(tokenA);
        assert.equal(session.error?.code, 403);
      } finally {
        janus.close();
      }
    });

    await t.step("DELETE room destroys it and revokes every token in it", async () => {
      const bob = await json(
        await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: "bob" }),
      );
      const res = await gw.request("DELETE", `/internal/rooms/${MEETING}`);
      assert.deepEqual(await json(res), { destroyed: true });
      assert.equal((await gw.health()).rooms, 0);
      const janus = await RawJanus.open(gw.janusWsUrl);
      try {
        assert.equal((await janus.createSession(bob.janusToken as string)).error?.code, 403);
      } finally {
        janus.close();
      }
      const gone = await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: "bob" });
      assert.equal(gone.status, 404);
      await gone.body?.cancel();
    });

    await t.step(
      "after SIGKILL of Janus, the gateway restarts it, reconnects and re-creates room and tokens",
      async () => {
        await json(await gw.request("PUT", `/internal/rooms/${MEETING}`, {}));
        const carol = await json(
          await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: "carol" }),
        );
        const oldPid = await gw.janusPid();
        assert.ok(oldPid, "the gateway wrote Janus's PID");
        const killedAt = performance.now();
        Deno.kill(oldPid, "SIGKILL");
        await waitFor("a new Janus PID", async () => {
          const pid = await gw.janusPid();
          return pid !== null && pid !== oldPid;
        });
        await waitFor("/health connected again", async () => (await gw.health()).janus === "connected");
        const recoveredMs = performance.now() - killedAt;
        console.log(`Janus SIGKILL to gateway reconnected with rooms restored: ${recoveredMs.toFixed(0)} ms`);
        assert.equal((await gw.health()).rooms, 1);
        // The restarted Janus knows carol's token and the room, with her on its allowed list.
        const janus = await RawJanus.open(gw.janusWsUrl);
        try {
          const session = await janus.createSession(carol.janusToken as string);
          assert.equal(session.janus, "success", JSON.stringify(session));
          const handle = await janus.attach(session.data!.id!, "janus.plugin.videoroom", carol.janusToken as string);
          const join = await janus.message(session.data!.id!, handle.data!.id!, {
            request: "join",
            ptype: "publisher",
            room: carol.room,
            id: carol.feedId,
            token: carol.janusToken,
          }, carol.janusToken as string);
          assert.equal(join.plugindata?.data.videoroom, "joined", JSON.stringify(join));
        } finally {
          janus.close();
        }
        // A new participant can still be admitted after the restart.
        const dave = await gw.request("POST", `/internal/rooms/${MEETING}/participants`, { participantId: "dave" });
        assert.equal(dave.status, 200);
        await dave.body?.cancel();
      },
    );
  } catch (err) {
    if (gateway) console.error(gateway.output());
    throw err;
  } finally {
    const janusPid = await gateway?.janusPid();
    await gateway?.stop();
    // The gateway stops its Janus on SIGTERM; make sure it really did.
    if (janusPid) {
      let alive = true;
      try {
        Deno.statSync(`/proc/${janusPid}`);
      } catch {
        alive = false;
      }
      assert.ok(!alive, `Janus ${janusPid} still running after the gateway stopped`);
    }
  }
});

const netns = await netnsAvailability();
const pingMissing = await new Deno.Command("ping", { args: ["-V"], stdout: "null", stderr: "null" }).output()
  .then((o) => !o.success, () => true);
const netnsSkip = !netns.ok ? netns.reason : pingMissing ? "ping is not installed (Debian: iputils-ping)" : null;
if (netnsSkip) console.log(`netns smoke test skipped: ${netnsSkip}`);

Deno.test({
  name: "netns harness: namespace with a veth pair, reachable peer, IPv6 off, torn down afterwards",
  ignore: netnsSkip !== null,
  fn: async () => {
    const ns = await createNetNs();
    if ("skip" in ns) throw new Error(ns.skip);
    try {
      const ping = await ns.exec(["ping", "-c1", "-W1", ns.hostAddress]);
      assert.ok(ping.success, new TextDecoder().decode(ping.stdout) + new TextDecoder().decode(ping.stderr));
      const v6 = await ns.exec(["cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6"]);
      assert.equal(new TextDecoder().decode(v6.stdout).trim(), "1");
      const addr = await ns.exec(["ip", "-4", "addr", "show", ns.innerIf]);
      assert.match(
        new TextDecoder().decode(addr.stdout),
        new RegExp(`inet ${ns.innerAddress.replaceAll(".", "\\.")}/24`),
      );
    } finally {
      await ns.destroy();
    }
    const list = await new Deno.Command("ip", { args: ["netns", "list"], stdout: "piped" }).output();
    assert.ok(!new TextDecoder().decode(list.stdout).includes(ns.name), "namespace left behind");
    const link = await new Deno.Command("ip", { args: ["link", "show", ns.hostIf], stdout: "null", stderr: "null" })
      .output();
    assert.ok(!link.success, "host veth left behind");
  },
});
