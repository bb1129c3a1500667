// IVR prompts: espeak-ng → sox → 8 kHz G.711 files, cached by text; played through a relay as
// 20 ms packets at 50 a second with continuous timestamps; hold music loops.

import assert from "node:assert/strict";
import { setQuiet } from "../../lib/common/log.ts";
import { decodeG711 } from "../../gateway/rtp/g711.ts";
import { buildRtp } from "../../gateway/rtp/packet.ts";
import { RtpRelay } from "../../gateway/rtp/relay.ts";
import {
  holdMusic,
  loadCallPrompts,
  loadPrompt,
  preparePrompt,
  PROMPT_NAMES,
  PromptPlayer,
  promptText,
} from "../../gateway/ivr/prompts.ts";
import { LOCALES } from "../../lib/i18n/locales.ts";
import { collector, goertzel, until } from "./audio_util.ts";
import { skipUnlessPrograms } from "../support/tools.ts";

setQuiet(true);

const noTts = skipUnlessPrograms("IVR prompt test", "espeak-ng", "sox");

Deno.test({
  name: "a prompt is synthesized to 8 kHz μ-law and A-law, cached by text, and played at 50 packets/s",
  ignore: noTts !== null,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-prompts-" });
  const caller = collector();
  const relay = RtpRelay.open({ callId: "ivr", codec: "pcma", payloadType: 8 });
  try {
    const files = await preparePrompt(dataDir, promptText("en", "notFound"));
    const ul = await Deno.readFile(files.pcmu), al = await Deno.readFile(files.pcma);
    assert.equal(ul.length, al.length);
    // "Sorry, that meeting ID was not found." takes 1.5–5 s to say: 12 000–40 000 samples at 8 kHz.
    assert.ok(files.samples > 12_000 && files.samples < 40_000, `samples ${files.samples}`);
    const pcm = decodeG711("pcma", al);
    let energy = 0;
    for (const s of pcm) energy += s * s;
    assert.ok(Math.sqrt(energy / pcm.length) > 300, "the prompt is not silence");
    const mtime = (await Deno.stat(files.pcma)).mtime?.getTime();
    const again = await preparePrompt(dataDir, promptText("en", "notFound"));
    assert.equal(again.pcma, files.pcma);
    assert.equal((await Deno.stat(again.pcma)).mtime?.getTime(), mtime, "served from the cache");
    assert.notEqual((await preparePrompt(dataDir, "Goodbye.")).pcma, files.pcma);

    // The caller's first packet latches the relay; then the prompt streams to it.
    await caller.send(buildRtp(8, 1, 0, 1, new Uint8Array(160).fill(0xd5)), relay.callerAddress.port);
    await until("latched", () => relay.stats().latchedTo);
    const audio = await loadPrompt(files, "pcma");
    const player = new PromptPlayer(relay, audio);
    const state = await player.done;
    assert.equal(state, "finished");
    const expected = Math.ceil(audio.length / 160);
    await until("every prompt packet", () => caller.packets.length >= expected);
    const got = caller.packets;
    assert.equal(got.length, expected);
    const seconds = (got[got.length - 1].at - got[0].at) / 1000;
    const rate = (got.length - 1) / seconds;
    console.log(
      `prompt: ${files.samples} samples, ${got.length} packets in ${seconds.toFixed(2)} s = ${
        rate.toFixed(1)
      } packets/s`,
    );
    assert.ok(Math.abs(rate - 50) < 2, `rate ${rate}`);
    got.forEach((p, i) => {
      assert.equal(p.packet.payload.length, 160);
      assert.equal(p.packet.timestamp, (got[0].packet.timestamp + 160 * i) >>> 0);
      assert.equal(p.packet.sequence, (got[0].packet.sequence + i) & 0xffff);
    });
    const played = new Uint8Array(got.length * 160);
    got.forEach((p, i) => played.set(p.packet.payload, i * 160));
    assert.deepEqual(played.subarray(0, audio.length), audio);
    assert.equal(relay.callerSource, "janus", "the caller hears the meeting again after the prompt");
  } finally {
    await relay.close();
    await caller.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name:
    "every prompt in every language: the install language's before start-up goes on, the rest after; warm from the cache",
  ignore: noTts !== null,
}, async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "talkspace-prompts-" });
  try {
    const t0 = performance.now();
    const prompts = await loadCallPrompts(dataDir, { install: "de" });
    const startup = performance.now() - t0;
    await prompts.settled();
    const cold = performance.now() - t0;
    const files = [...Deno.readDirSync(`${dataDir}/prompts`)].map((e) => e.name).sort();
    assert.equal(files.length, 2 * PROMPT_NAMES.length * LOCALES.length, "a μ-law and an A-law file each");
    const sounds = new Map<string, Uint8Array>();
    for (const locale of LOCALES) {
      for (const name of PROMPT_NAMES) {
        const sound = (await prompts.sound(locale, name))!;
        assert.ok(sound.pcmu.length > 4000 && sound.pcmu.length === sound.pcma.length, `${locale} ${name}`);
        sounds.set(`${locale} ${name}`, sound.pcmu);
      }
    }
    // Each language's own recording, not another's.
    for (const name of PROMPT_NAMES) {
      const own = LOCALES.map((l) => sounds.get(`${l} ${name}`)!);
      for (let i = 0; i < own.length; i++) {
        for (let j = i + 1; j < own.length; j++) {
          assert.notDeepEqual(own[i], own[j], `${name}: ${LOCALES[i]}/${LOCALES[j]}`);
        }
      }
    }
    const t1 = performance.now();
    const again = await loadCallPrompts(dataDir, { install: "de" });
    await again.settled();
    const warm = performance.now() - t1;
    assert.deepEqual([...Deno.readDirSync(`${dataDir}/prompts`)].map((e) => e.name).sort(), files, "nothing new made");
    assert.deepEqual(await again.sound("ar", "passcode"), await prompts.sound("ar", "passcode"));
    console.log(
      `prompts, ${PROMPT_NAMES.length} × ${LOCALES.length} languages: cold ${
        startup.toFixed(0)
      } ms until start-up goes on, ${cold.toFixed(0)} ms all; warm ${warm.toFixed(0)} ms (load ${
        Deno.readTextFileSync("/proc/loadavg").split(" ")[0]
      })`,
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("hold music loops until stopped and carries its notes", async () => {
  const caller = collector();
  const relay = RtpRelay.open({ callId: "hold", codec: "pcmu", payloadType: 0 });
  try {
    const music = holdMusic("pcmu");
    assert.equal(music.length, 6 * 2000 + 8000);
    const pcm = decodeG711("pcmu", music.subarray(0, 2000));
    assert.ok(goertzel(pcm, 440) > 100 * goertzel(pcm, 1000));
    await caller.send(buildRtp(0, 1, 0, 1, new Uint8Array(160).fill(0xff)), relay.callerAddress.port);
    await until("latched", () => relay.stats().latchedTo);
    const player = new PromptPlayer(relay, music.subarray(0, 1600), { loop: true });
    await until("more than one loop", () => caller.packets.length > 25);
    player.stop();
    assert.equal(await player.done, "stopped");
  } finally {
    await relay.close();
    await caller.close();
  }
});
