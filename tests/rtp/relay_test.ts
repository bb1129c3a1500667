// The relay without Janus: repacketizing, DTMF, levels, latching, loss counters, CPU per call.

import assert from "node:assert/strict";
import process from "node:process";
import { setQuiet } from "../../lib/common/log.ts";
import { decodeG711, encodeG711 } from "../../gateway/rtp/g711.ts";
import { buildRtp, serializeTelephoneEvent } from "../../gateway/rtp/packet.ts";
import { RtpRelay } from "../../gateway/rtp/relay.ts";
import { G711Repacketizer, ReceiveStats, SpeakingDetector } from "../../gateway/rtp/stream.ts";
import { collector, goertzel, tone, until } from "./audio_util.ts";

setQuiet(true);

for (const codec of ["pcmu", "pcma"] as const) {
  for (const ms of [30, 40]) {
    Deno.test(`repacketize ${ms} ms ${codec} into 20 ms: continuous timestamps, no sample lost`, () => {
      const r = new G711Repacketizer(codec);
      const input = encodeG711(codec, tone(440, 8 * ms * 25));
      const start = 0xffffff00; // wraps the 32-bit timestamp on the way
      const frames = [];
      for (let i = 0; i < 25; i++) {
        const chunk = input.subarray(i * 8 * ms, (i + 1) * 8 * ms);
        frames.push(...r.push((start + i * 8 * ms) >>> 0, chunk));
      }
      frames.push(...r.flush());
      assert.equal(frames.length, Math.ceil((25 * ms) / 20));
      frames.forEach((f, i) => {
        assert.equal(f.payload.length, 160);
        assert.equal(f.timestamp, (start + i * 160) >>> 0);
      });
      const joined = new Uint8Array(frames.length * 160);
      frames.forEach((f, i) => joined.set(f.payload, i * 160));
      assert.deepEqual(joined.subarray(0, input.length), input);
      assert.equal(r.late, 0);
    });
  }
}

Deno.test("repacketizer: a lost 30 ms packet pads the partial frame and resumes on the new timestamp", () => {
  const r = new G711Repacketizer("pcma");
  const p = (i: number) => r.push(i * 240, new Uint8Array(240).fill(i + 1));
  const out = [...p(0), ...p(2), ...p(1)]; // packet 1 lost, arrives late
  assert.deepEqual(out.map((f) => f.timestamp), [0, 160, 480]);
  assert.equal(out[1].payload[0], 1);
  assert.equal(out[1].payload[100], 0xd5); // silence after the 80 samples we had
  assert.equal(r.paddedSamples, 80);
  assert.equal(r.late, 1);
});

Deno.test("receive stats: loss from sequence gaps, reordering is not loss, duplicates counted, wrap handled", () => {
  const s = new ReceiveStats(8000);
  const seqs = [65530, 65531, 65533, 65532, 65534, 65535, 0, 0, 3, 4];
  seqs.forEach((q, i) => s.record(7, q, i * 160, 172, i * 20));
  assert.equal(s.lost, 2); // 1 and 2
  assert.equal(s.duplicates, 1);
  assert.ok(s.jitterMs < 0.01);
});

Deno.test("speaking detection: tone → speaking once, silence → stopped once, no flapping on a short pause", () => {
  const d = new SpeakingDetector();
  const events: string[] = [];
  const feed = (bytes: Uint8Array, packets: number) => {
    for (let i = 0; i < packets; i++) {
      const e = d.push(g711(bytes), 20);
      if (e) events.push(e);
    }
  };
  const g711 = (b: Uint8Array) => 20 * Math.log10(rms(decodeG711("pcmu", b)) / 32768);
  const loud = encodeG711("pcmu", tone(440, 160, 3000));
  const silent = new Uint8Array(160).fill(0xff);
  feed(silent, 20);
  feed(loud, 50);
  feed(silent, 10); // 200 ms pause between words
  feed(loud, 20);
  feed(silent, 50);
  assert.deepEqual(events, ["speaking", "stopped"]);
});

function rms(s: Int16Array) {
  let sum = 0;
  for (const x of s) sum += x * x;
  return Math.max(1e-9, Math.sqrt(sum / s.length));
}

Deno.test("relay: 30 ms PCMA in → 20 ms to Janus, DTMF taken out and reported once, speaking events, latching", async () => {
  const janus = collector();
  const caller = collector();
  const sdpClaimed = collector(); // where the SDP says the caller is: it must get nothing
  const relay = RtpRelay.open({
    callId: "c1",
    codec: "pcma",
    payloadType: 8,
    telephoneEventPayloadType: 101,
    callerSdpAddress: { host: "127.0.0.1", port: sdpClaimed.port },
  });
  try {
    relay.connectJanus({ host: "127.0.0.1", port: janus.port, payloadType: 8 });
    const digits: string[] = [];
    const speaking: boolean[] = [];
    relay.on("digit", (d) => digits.push(d.digit));
    relay.on("speaking", (s) => speaking.push(s.speaking));
    const audio = encodeG711("pcma", tone(440, 240 * 30, 6000));
    const to = relay.callerAddress.port;
    let seq = 100;
    for (let i = 0; i < 30; i++) {
      await caller.send(buildRtp(8, seq++, 1000 + i * 240, 0xabc, audio.subarray(i * 240, (i + 1) * 240)), to);
      if (i === 10) {
        for (let k = 0; k < 4; k++) {
          const end = k >= 1;
          await caller.send(
            buildRtp(
              101,
              seq++,
              5000,
              0xabc,
              serializeTelephoneEvent({ event: 5, end, volume: 10, duration: 160 * (k + 1) }),
            ),
            to,
          );
        }
      }
    }
    // connectJanus opens the path with one 20 ms frame of A-law silence (Janus sends nothing before it hears us).
    await until("the opener and 45 frames at Janus", () => janus.packets.length >= 46);
    await until("the DTMF digit", () => digits.length >= 1);
    assert.equal(janus.packets.length, 46);
    const [opener, ...frames] = janus.packets;
    assert.ok(opener.packet.payload.length === 160 && opener.packet.payload.every((b) => b === 0xd5));
    assert.ok(frames.every((p) => p.packet.payload.length === 160 && p.packet.payloadType === 8));
    assert.ok(frames.every((p, i) => p.packet.timestamp === 1000 + i * 160));
    assert.ok(janus.packets.every((p, i) => p.packet.sequence === ((opener.packet.sequence + i) & 0xffff)));
    assert.deepEqual(digits, ["5"]);
    assert.deepEqual(speaking, [true]);
    // Janus's answer goes to where the caller's packets came from, not to the SDP address.
    const mix = encodeG711("pcma", tone(1000, 160, 4000));
    for (let i = 0; i < 5; i++) await janus.send(buildRtp(8, 7 + i, i * 160, 0x55, mix), relay.janusSideAddress.port);
    await until("5 packets at the caller", () => caller.packets.length >= 5);
    assert.equal(sdpClaimed.packets.length, 0);
    assert.ok(caller.packets.every((p) => p.packet.ssrc === relay.stats().toCaller.ssrc));
    const stats = relay.stats();
    assert.equal(stats.callerIn.packets, 34); // 30 audio + 4 DTMF
    assert.equal(stats.callerIn.lost, 0);
    assert.equal(stats.dtmfPackets, 4);
    assert.equal(stats.toJanus.frames, 45);
    assert.deepEqual(stats.latchedTo, { host: "127.0.0.1", port: caller.port });
    // A stranger injecting packets while the caller is active is ignored.
    const stranger = collector();
    await stranger.send(buildRtp(8, 1, 1, 1, mix), to);
    await until("the stranger's packet counted", () => relay.stats().foreignPackets === 1);
    await stranger.close();
  } finally {
    await relay.close();
    await Promise.all([janus.close(), caller.close(), sdpClaimed.close()]);
  }
  assert.equal(relay.state, "closed");
});

Deno.test("relay: audio from Janus reaches the caller with the tone intact", async () => {
  const janus = collector();
  const caller = collector();
  const relay = RtpRelay.open({ callId: "c2", codec: "pcmu", payloadType: 0 });
  try {
    relay.connectJanus({ host: "127.0.0.1", port: janus.port, payloadType: 0 });
    await caller.send(buildRtp(0, 1, 0, 9, new Uint8Array(160).fill(0xff)), relay.callerAddress.port);
    await until("latched", () => relay.stats().latchedTo);
    const pcm = tone(440, 160 * 10, 8000);
    for (let i = 0; i < 10; i++) {
      await janus.send(
        buildRtp(0, i, i * 160, 77, encodeG711("pcmu", pcm.subarray(i * 160, (i + 1) * 160))),
        relay.janusSideAddress.port,
      );
    }
    await until("10 packets at the caller", () => caller.packets.length >= 10);
    const got = new Int16Array(1600);
    caller.packets.forEach((p, i) => got.set(decodeG711("pcmu", p.packet.payload), i * 160));
    assert.ok(goertzel(got, 440) > 0.01, `440 Hz power ${goertzel(got, 440)}`);
    assert.ok(goertzel(got, 440) > 100 * goertzel(got, 1000));
  } finally {
    await relay.close();
    await Promise.all([janus.close(), caller.close()]);
  }
});

// Many relays at once lose nothing. The full load (50 calls) is a throughput figure that depends on
// a quiet machine, so the suite runs 10 calls for 5 s; RTP_BENCH=1 runs the 50-call version (and
// bench/sip.ts measures 50 callers through the whole stack).
const RELAY_LOAD = Deno.env.get("RTP_BENCH") === "1" ? { calls: 50, seconds: 10 } : { calls: 10, seconds: 5 };

Deno.test({
  name: `relay load: ${RELAY_LOAD.calls} calls, 20 ms G.711 both ways for ${RELAY_LOAD.seconds} s, no loss`,
  async fn() {
    const { calls, seconds } = RELAY_LOAD;
    const janus = collector();
    const relays = Array.from(
      { length: calls },
      (_, i) => RtpRelay.open({ callId: `b${i}`, codec: "pcmu", payloadType: 0 }),
    );
    const callers = relays.map(() => collector());
    relays.forEach((r) => r.connectJanus({ host: "127.0.0.1", port: janus.port, payloadType: 0 }));
    const frame = encodeG711("pcmu", tone(440, 160, 4000));
    // The caller speaks first (latching); only then does Janus's audio have somewhere to go.
    await Promise.all(
      callers.map((c, i) => c.send(buildRtp(0, 65535, -160 >>> 0, 1000 + i, frame), relays[i].callerAddress.port)),
    );
    await until("every relay latched", () => relays.every((r) => r.stats().latchedTo));
    const before = process.cpuUsage();
    const t0 = performance.now();
    try {
      for (let n = 0; n < seconds * 50; n++) {
        const sends: Promise<number>[] = [];
        for (let i = 0; i < calls; i++) {
          sends.push(callers[i].send(buildRtp(0, n, n * 160, 1000 + i, frame), relays[i].callerAddress.port));
          sends.push(janus.send(buildRtp(0, n, n * 160, 5000 + i, frame), relays[i].janusSideAddress.port));
        }
        await Promise.all(sends);
        const next = t0 + (n + 1) * 20 - performance.now();
        if (next > 0) await new Promise((r) => setTimeout(r, next));
      }
      await until(
        "every packet through",
        () =>
          janus.packets.length >= calls * (seconds * 50 + 1) && callers.every((c) => c.packets.length >= seconds * 50),
        10_000,
      )
        .catch((err) => {
          throw new Error(
            `${err.message}: janus got ${janus.packets.length}, callers min ${
              Math.min(...callers.map((c) => c.packets.length))
            }`,
          );
        });
      const after = process.cpuUsage();
      const wall = (performance.now() - t0) / 1000;
      const stats = relays.map((r) => r.stats());
      const lost = stats.reduce((n, s) => n + s.callerIn.lost + s.janusIn.lost, 0);
      const lines = [
        `relay bench: ${calls} calls × ${seconds} s (wall ${wall.toFixed(1)} s), ${
          calls * seconds * 50 * 4
        } packets handled`,
      ];
      {
        const cpu = (after.user - before.user + after.system - before.system) / 1e6;
        lines.push(
          `process CPU ${cpu.toFixed(2)} s (includes the test's own senders/receivers) = ${
            (100 * cpu / wall / calls).toFixed(2)
          }% of a core per call`,
        );
      }
      lines.push(
        `lost by sequence gaps: ${lost}; max jitter ${
          Math.max(...stats.map((s) => s.callerIn.jitterMs)).toFixed(2)
        } ms`,
      );
      console.log(lines.join("\n"));
      assert.equal(lost, 0);
      assert.ok(stats.every((s) => s.callerIn.packets === seconds * 50 + 1 && s.janusIn.packets === seconds * 50));
    } finally {
      await Promise.all(relays.map((r) => r.close()));
      await Promise.all([janus.close(), ...callers.map((c) => c.close())]);
    }
  },
});
