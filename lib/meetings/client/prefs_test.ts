import assert from "node:assert/strict";
import { loadPrefs, savePrefs } from "./prefs.ts";
import { chimeWav } from "./chime.ts";

/** A Storage stand-in over a Map (the browser's localStorage is what the client uses). */
function memoryStorage(initial: Record<string, string> = {}) {
  const m = new Map(Object.entries(initial));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

Deno.test("media prefs: saved choices merge, malformed records and fields are dropped, no storage is fine", () => {
  const s = memoryStorage();
  savePrefs({ camId: "cam-1", cameraOff: true }, s);
  savePrefs({ micId: "mic-2" }, s);
  assert.deepEqual(loadPrefs(s), { camId: "cam-1", micId: "mic-2", cameraOff: true });
  assert.deepEqual(loadPrefs(memoryStorage({ "ts-media-prefs": "{not json" })), {});
  assert.deepEqual(loadPrefs(memoryStorage({ "ts-media-prefs": "[1,2]" })), {});
  assert.deepEqual(
    loadPrefs(
      memoryStorage({ "ts-media-prefs": JSON.stringify({ camId: 7, micOff: "yes", speakerId: "x".repeat(300) }) }),
    ),
    {},
    "wrong types and absurd lengths are left out",
  );
  assert.deepEqual(loadPrefs(null), {});
  savePrefs({ camId: "x" }, null);
  const full = {
    getItem: () => null,
    setItem: () => {
      throw new DOMException("full", "QuotaExceededError");
    },
  };
  savePrefs({ camId: "x" }, full); // does not throw
});

Deno.test("media prefs: effects are remembered, an unknown effect is dropped", () => {
  const s = memoryStorage();
  savePrefs({ videoEffect: "image", background: "bg-dusk.webp", noiseSuppression: true }, s);
  assert.deepEqual(loadPrefs(s), { videoEffect: "image", background: "bg-dusk.webp", noiseSuppression: true });
  savePrefs({ videoEffect: "none" }, s);
  assert.equal(loadPrefs(s).videoEffect, "none");
  assert.deepEqual(
    loadPrefs(memoryStorage({ "ts-media-prefs": JSON.stringify({ videoEffect: "sparkles", noiseSuppression: "on" }) })),
    {},
  );
});

Deno.test("the speaker test's chime is a valid 16 kHz mono 16-bit WAV of about 0.9 s that is not silent", () => {
  const wav = chimeWav();
  const v = new DataView(wav.buffer);
  const text = (at: number) => String.fromCharCode(...wav.slice(at, at + 4));
  assert.equal(text(0), "RIFF");
  assert.equal(text(8), "WAVE");
  assert.equal(v.getUint32(4, true), wav.length - 8);
  assert.equal(v.getUint16(22, true), 1);
  assert.equal(v.getUint32(24, true), 16_000);
  assert.equal(v.getUint16(34, true), 16);
  const samples = v.getUint32(40, true) / 2;
  assert.ok(Math.abs(samples / 16_000 - 0.9) < 0.01, `${samples / 16_000} s`);
  let peak = 0;
  for (let i = 0; i < samples; i++) peak = Math.max(peak, Math.abs(v.getInt16(44 + i * 2, true)));
  assert.ok(peak > 8000 && peak < 32767, `peak ${peak}: audible, not clipped`);
});
