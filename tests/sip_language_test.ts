// The phone menu's language end to end: the REAL gateway (with Janus, SIP on loopback) and the REAL
// web app, a raw SIP phone that keeps every RTP payload it hears. The install speaks Spanish
// (SIP_LANGUAGE=es); a meeting's host chose German for their account. What the phone hears is
// compared byte for byte with the G.711 files the gateway synthesized into its DATA_DIR: the
// welcome (before the meeting is known) in Spanish, the passcode prompt once the meeting is found
// in German, not English or Spanish; a host without a language gets the install's. An unknown
// SIP_LANGUAGE stops the gateway at start with a message naming the variable and the choices.
// Recording's notice is spoken the same way: to callers in the meeting when it starts and stops,
// and to a caller entering while it runs.

import assert from "node:assert/strict";
import { createUser, setAccountLocale } from "../lib/accounts/users.ts";
import { createMeeting } from "../lib/meetings/store.ts";
import type { Locale } from "../lib/i18n/locales.ts";
import { loadPrompt, preparePrompt, type PromptName, promptText, VOICES } from "../gateway/ivr/prompts.ts";
import { parseRtp } from "../gateway/rtp/packet.ts";
import { LevelPhone } from "./support/level_phone.ts";
import { startLoopbackSipStack } from "./support/sip_stack.ts";
import { waitFor } from "./support/gateway.ts";
import { skipUnlessPrograms } from "./support/tools.ts";

const skip = skipUnlessPrograms("SIP language tests", "janus", "espeak-ng", "sox");
const ROOT = new URL("../", import.meta.url).pathname;
const DID = "+15550123";

/** A phone that keeps the payload bytes of every G.711 packet it hears, in arrival order. */
class ListeningPhone extends LevelPhone {
  #chunks: Uint8Array[] = [];

  protected override onRtp(data: Uint8Array) {
    super.onRtp(data);
    const p = parseRtp(data);
    if (p && p.payloadType === 0) this.#chunks.push(p.payload.slice());
  }

  /** Everything heard so far, as one μ-law stream. */
  heardBytes(): Uint8Array {
    const out = new Uint8Array(this.#chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of this.#chunks) out.set(c, (o += c.length) - c.length);
    return out;
  }
}

/** Where `needle` starts in `hay`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

Deno.test({
  name: "the phone menu speaks the install's language, then the meeting host's",
  ignore: skip !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const s = await startLoopbackSipStack({
      rtpBase: 52000,
      rtpPorts: 40,
      rtpBlocks: 50,
      gatewayEnv: { SIP_DID: DID, SIP_LANGUAGE: "es" },
    });
    const phones: ListeningPhone[] = [];
    /** The first second of a prompt as the gateway cached it (μ-law): what a phone hearing it receives. */
    const opening = async (locale: Locale, name: PromptName) => {
      const files = await preparePrompt(s.gw.dataDir, promptText(locale, name), { voice: VOICES[locale] });
      return (await loadPrompt(files, "pcmu")).subarray(0, 8000);
    };
    const hears = (p: ListeningPhone, locale: Locale, name: PromptName, timeoutMs = 15_000) =>
      opening(locale, name).then((audio) =>
        waitFor(`the ${locale} ${name} prompt`, () => indexOf(p.heardBytes(), audio) >= 0, timeoutMs)
      );
    /** Which of the languages' `name` prompt the phone heard. */
    const heardIn = async (p: ListeningPhone, name: PromptName) => {
      const heard = p.heardBytes();
      const found: Locale[] = [];
      for (const l of ["en", "de", "es", "ar"] as Locale[]) {
        if (indexOf(heard, await opening(l, name)) >= 0) found.push(l);
      }
      return found;
    };
    /** A phone that called `user` and was answered. */
    const dial = async (user: string) => {
      const p = new ListeningPhone(s.gw.sipPort);
      phones.push(p);
      assert.equal((await p.invite(user)).status, 200);
      return p;
    };
    /** Keys pressed, as SIP INFO. */
    const press = async (p: ListeningPhone, keys: string) => {
      for (const d of keys) assert.equal((await p.info(d)).statusCode, 200);
    };
    try {
      const hanna = await createUser(s.kv, { name: "Hanna", email: "hanna@example.org", passwordHash: "unused" });
      await setAccountLocale(s.kv, hanna.id, "de");
      const german = await createMeeting(s.kv, { hostId: hanna.id, title: "Besprechung", settings: { lobby: false } });
      const pat = await createUser(s.kv, { name: "Pat", email: "pat@example.org", passwordHash: "unused" });
      const plain = await createMeeting(s.kv, { hostId: pat.id, title: "Plain", settings: { lobby: false } });

      await t.step("through the dial-in number: welcome in Spanish, then the German passcode prompt", async () => {
        const p = await dial(DID);
        await hears(p, "es", "welcome");
        assert.deepEqual(await heardIn(p, "welcome"), ["es"]);
        await press(p, `${german.meetingId}#`);
        await hears(p, "de", "passcode");
        assert.deepEqual(await heardIn(p, "passcode"), ["de"], "German, not English or Spanish");
        await press(p, `${german.passcode}#`);
        await waitFor("the caller in the bridge", async () => {
          const res = await s.gw.request("GET", `/internal/calls?meetingId=${german.meetingId}`);
          return (await res.json()).calls.some((c: { phase: string }) => c.phase === "in-bridge");
        });
        await p.bye();
      });

      await t.step("dialling the meeting without its passcode: asked for it in German at once", async () => {
        const p = await dial(german.meetingId);
        await hears(p, "de", "passcode");
        assert.deepEqual(await heardIn(p, "welcome"), [], "no welcome: the meeting is known from the start");
        // A wrong passcode is told in German too.
        const wrong = german.passcode === "000000" ? "111111" : "000000";
        await press(p, `${wrong}#`);
        await hears(p, "de", "wrongPasscode");
        await p.bye();
      });

      await t.step("recording: callers in the meeting are told in its language, and so is one who enters", async () => {
        const inBridge = (n: number) =>
          waitFor(`${n} caller(s) in the bridge`, async () => {
            const res = await s.gw.request("GET", `/internal/calls?meetingId=${german.meetingId}`);
            return (await res.json()).calls.filter((c: { phase: string }) => c.phase === "in-bridge").length === n;
          });
        const first = await dial(`${german.meetingId}*${german.passcode}`);
        await inBridge(1);
        const started = await s.gw.request("POST", `/internal/rooms/${german.meetingId}/recording`, {
          recordingId: "rec-language-test",
          names: {},
        });
        assert.equal(started.status, 201, await started.text());
        await hears(first, "de", "recordingOn");
        assert.deepEqual(await heardIn(first, "recordingOn"), ["de"]);
        const second = await dial(`${german.meetingId}*${german.passcode}`);
        await inBridge(2);
        await hears(second, "de", "recordingOn");
        const stopped = await s.gw.request("DELETE", `/internal/rooms/${german.meetingId}/recording`);
        assert.equal(stopped.status, 200, await stopped.text());
        await hears(first, "de", "recordingOff");
        await hears(second, "de", "recordingOff");
        await first.bye();
        await second.bye();
      });

      await t.step("a host who chose no language: the install's (Spanish)", async () => {
        const p = await dial(plain.meetingId);
        await hears(p, "es", "passcode");
        assert.deepEqual(await heardIn(p, "passcode"), ["es"]);
        await p.bye();
      });
    } finally {
      for (const p of phones) await p.close().catch(() => {});
      await s.stop();
    }
  },
});

Deno.test("an unknown SIP_LANGUAGE stops the gateway at start, naming the variable and the choices", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "gateway/main.ts"],
    cwd: ROOT,
    env: { GATEWAY_SECRET: crypto.randomUUID(), SIP_LANGUAGE: "fr", SIP_PORT: "0", TALKSPACE_LOG: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, text);
  assert.match(text, /gateway failed to start/);
  assert.match(text, /SIP_LANGUAGE must be one of en, de, es, ar, got \\?"fr\\?"/);
});
