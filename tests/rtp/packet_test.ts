import assert from "node:assert/strict";

const assertEquals: (actual: unknown, expected: unknown, message?: string) => void = assert.deepEqual;
import { decodeG711, encodeG711, g711LevelDbov } from "../../gateway/rtp/g711.ts";
import {
  DtmfDetector,
  isRtcp,
  parseRtcp,
  parseRtp,
  parseTelephoneEvent,
  type RtpPacket,
  serializeRtcp,
  serializeRtp,
  serializeTelephoneEvent,
} from "../../gateway/rtp/packet.ts";
import { tone } from "./audio_util.ts";

Deno.test("RTP round trip with CSRCs, header extension and padding", () => {
  const packet: RtpPacket = {
    marker: true,
    payloadType: 111,
    sequence: 65535,
    timestamp: 0xfffffff0,
    ssrc: 0xdeadbeef,
    csrcs: [1, 0xffffffff],
    extension: { profile: 0xbede, data: new Uint8Array([0x10, 0xff, 0, 0]) },
    payload: new Uint8Array([1, 2, 3, 4, 5]),
    padding: 3,
  };
  const bytes = serializeRtp(packet);
  assertEquals(bytes.length, 12 + 8 + 8 + 5 + 3);
  const parsed = parseRtp(bytes)!;
  assertEquals({
    ...parsed,
    payload: [...parsed.payload],
    extension: { ...parsed.extension!, data: [...parsed.extension!.data] },
  }, {
    ...packet,
    payload: [...packet.payload],
    extension: { profile: 0xbede, data: [0x10, 0xff, 0, 0] },
  });
  assertEquals(serializeRtp(parsed), bytes);
  assert(!isRtcp(bytes));
});

Deno.test("RTP parser refuses malformed packets", () => {
  assertEquals(parseRtp(new Uint8Array(11)), null);
  const bad = serializeRtp({
    marker: false,
    payloadType: 0,
    sequence: 1,
    timestamp: 1,
    ssrc: 1,
    csrcs: [],
    extension: null,
    payload: new Uint8Array(4),
    padding: 0,
  });
  bad[0] = 0x40; // version 1
  assertEquals(parseRtp(bad), null);
  bad[0] = 0x8f; // 15 CSRCs that are not there
  assertEquals(parseRtp(bad), null);
  bad[0] = 0xa0; // padding flag with a padding count larger than the packet
  bad[bad.length - 1] = 200;
  assertEquals(parseRtp(bad), null);
});

Deno.test("RTCP compound round trip (SR + SDES with padding) and RTP/RTCP demux", () => {
  const sr = { count: 0, type: 200, ssrc: 42, body: new Uint8Array(20).map((_, i) => i), padding: 0 };
  const sdes = { count: 1, type: 202, ssrc: 42, body: new Uint8Array([1, 3, 65, 66, 67, 0]), padding: 0 };
  const bytes = serializeRtcp([sr, sdes]);
  assertEquals(bytes.length % 4, 0);
  assert(isRtcp(bytes));
  const parsed = parseRtcp(bytes)!;
  assertEquals(parsed.length, 2);
  assertEquals(parsed[0].type, 200);
  assertEquals([...parsed[0].body], [...sr.body]);
  assertEquals(parsed[1].type, 202);
  assertEquals([...parsed[1].body], [...sdes.body]);
  assertEquals(parsed[1].padding, 2);
  assertEquals(serializeRtcp(parsed), bytes);
  assertEquals(parseRtcp(bytes.subarray(0, bytes.length - 4)), null);
});

Deno.test("G.711 μ-law and A-law: decode(encode(x)) is within the quantization step", () => {
  for (const codec of ["pcmu", "pcma"] as const) {
    const samples = Int16Array.from({ length: 4000 }, (_, i) => Math.round(-32000 + i * 16));
    const back = decodeG711(codec, encodeG711(codec, samples));
    for (let i = 0; i < samples.length; i++) {
      const x = samples[i];
      // Logarithmic steps: at most ~1/16 of the magnitude, never more than 1024 absolute.
      assert(Math.abs(back[i] - x) <= Math.max(16, Math.abs(x) / 16), `${codec} ${x} -> ${back[i]}`);
      assertEquals(Math.sign(back[i]) || 1, Math.sign(x) || 1, `${codec} sign of ${x}`);
    }
    // Every code word decodes to a value that encodes back to the same code word.
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const recoded = encodeG711(codec, decodeG711(codec, all));
    for (let i = 0; i < 256; i++) {
      if (codec === "pcmu" && (i === 0x7f)) continue; // -0 and +0 both encode to 0xff
      assertEquals(recoded[i], i, `${codec} code 0x${i.toString(16)}`);
    }
  }
  // Known values: μ-law silence 0xff, A-law silence 0xd5, full scale.
  assertEquals(encodeG711("pcmu", [0])[0], 0xff);
  assertEquals(encodeG711("pcma", [0])[0], 0xd5);
  assertEquals(decodeG711("pcmu", new Uint8Array([0x00]))[0], -32124);
  assertEquals(decodeG711("pcma", new Uint8Array([0xaa]))[0], 32256);
});

Deno.test("G.711 level: a -20 dBFS-ish tone measures near its RMS; silence is -127", () => {
  const amplitude = 3277; // 0.1 of full scale: RMS = -23 dBov
  const expected = 20 * Math.log10(amplitude / Math.SQRT2 / 32768);
  for (const codec of ["pcmu", "pcma"] as const) {
    const level = g711LevelDbov(codec, encodeG711(codec, tone(440, 160, amplitude)));
    assert(Math.abs(level - expected) < 0.5, `${codec}: ${level} vs ${expected}`);
  }
  assertEquals(g711LevelDbov("pcmu", new Uint8Array(160).fill(0xff)), -127);
});

Deno.test("RFC 4733: each key press is reported once despite updates, 3 end packets and retransmissions", () => {
  const detector = new DtmfDetector();
  const press = (event: number, ts: number) => {
    const packets: [number, Uint8Array][] = [];
    for (let d = 160; d <= 800; d += 160) {
      packets.push([ts, serializeTelephoneEvent({ event, end: false, volume: 10, duration: d })]);
    }
    for (let i = 0; i < 3; i++) {
      packets.push([ts, serializeTelephoneEvent({ event, end: true, volume: 10, duration: 960 })]);
    }
    return packets;
  };
  // 1, 2, 3, # with the same digit twice in a row (two presses, two timestamps) and a late retransmission.
  const stream = [
    ...press(1, 1000),
    ...press(2, 3000),
    [1000, serializeTelephoneEvent({ event: 1, end: true, volume: 10, duration: 960 })] as [number, Uint8Array],
    ...press(2, 5000),
    ...press(11, 7000),
    ...press(10, 0xffffff00),
  ];
  const digits = stream.map(([ts, p]) => detector.push(ts, p)).filter((d) => d).map((d) => d!.digit);
  assertEquals(digits.join(""), "122#*");
  const parsed = parseTelephoneEvent(serializeTelephoneEvent({ event: 11, end: true, volume: 63, duration: 65535 }))!;
  assertEquals(parsed, { event: 11, end: true, volume: 63, duration: 65535 });
});
