// End to end with real parts: Janus + gateway, the web app and headless Chromium, all inside a
// network namespace (Janus never gathers ICE on loopback). A host starts a meeting, a guest joins
// by link and a signed-in participant by meeting ID; everyone decodes everyone's video and audio;
// muting stops a participant's audio at the others; a screen share arrives as a second video; a
// participant whose connections are cut comes back by itself; ending the meeting closes it for all.
// Runs only as root with Chromium and Janus installed; otherwise it is ignored with the reason.

import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { createNetNs, netnsAvailability } from "./support/netns.ts";
import type { NetNs } from "./support/netns.ts";
import { browserUnavailable, CHROMIUM_PATH } from "./support/browser.ts";
import { createUser } from "../lib/db/users.ts";
import { createSession } from "../lib/db/sessions.ts";
import { createMeeting } from "../lib/db/meetings.ts";
import type { Meeting } from "../lib/db/meetings.ts";
import type { MediaStats } from "../lib/meetings/client/stats.ts";

const ROOT = new URL("../", import.meta.url).pathname;

async function skipReason(): Promise<string | null> {
  const ns = await netnsAvailability();
  if (!ns.ok) return ns.reason;
  const b = browserUnavailable();
  if (b) return b;
  try {
    await new Deno.Command("janus", { args: ["--version"], stdout: "null", stderr: "null" }).output();
  } catch {
    return "Janus is not installed (apt-get install janus)";
  }
  return null;
}

const reason = await skipReason();
if (reason) console.log(`meeting_media_test: skipped: ${reason}`);

/** Polls `check` until it returns a truthy value; throws with `what` (and the last value) after `ms`. */
async function poll<T>(
  what: string,
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  ms = 30_000,
  every = 250,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(String(last)).slice(0, 400)}`);
}

function freePortIn(_ns: NetNs, base: number): number {
  // Ports inside a fresh namespace are all free; spread them so parallel runs in other namespaces don't matter.
  return base + Math.floor(Math.random() * 1000);
}

interface Proc {
  child: Deno.ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function spawnIn(ns: NetNs, args: string[], env: Record<string, string>): Proc {
  const child = ns.spawn([Deno.execPath(), ...args], { cwd: ROOT, env, stdout: "piped", stderr: "piped" });
  let out = "";
  const pump = async (s: ReadableStream<Uint8Array<ArrayBuffer>>) => {
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) out += chunk;
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  return {
    child,
    output: () => out,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      const t = setTimeout(() => !exited && child.kill("SIGKILL"), 10_000);
      await status;
      clearTimeout(t);
      await pumps;
    },
  };
}

type Hook = {
  state(): Record<string, unknown> & {
    phase: string;
    participantId: string | null;
    socket: string;
    media: string;
    banner: string | null;
    closedReason: string;
    participants: { participantId: string; state: { audio: boolean; video: boolean; screen: boolean } }[];
  };
  stats(): Promise<MediaStats | null>;
  dropConnections(): void;
};

const state = (p: Page) => p.evaluate(() => (globalThis as unknown as { __talkspace: Hook }).__talkspace.state());
const stats = (p: Page) =>
  p.evaluate(() => (globalThis as unknown as { __talkspace: Hook }).__talkspace.stats()) as Promise<MediaStats>;

Deno.test({
  name: "meeting media end to end: join three ways, see and hear everyone, mute, share, reconnect, end",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ns = await createNetNs();
    if ("skip" in ns) throw new Error(ns.skip);
    const procs: Proc[] = [];
    let browser: Browser | null = null;
    const dataDir = await Deno.makeTempDir({ prefix: "talkspace-media-e2e-" });
    const wrapper = `${dataDir}/chromium-in-ns.sh`;
    const timings: Record<string, number> = {};
    const consoleLines: string[] = [];
    const t0 = performance.now();
    try {
      // Bundles for the island (the server reads _build/islands).
      const build = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "scripts/build_islands.ts"],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(build.success, new TextDecoder().decode(build.stderr));

      const secret = crypto.randomUUID();
      const ip = ns.innerAddress;
      const gwPort = freePortIn(ns, 18000);
      const wsPort = freePortIn(ns, 19000);
      const webPort = freePortIn(ns, 20000);
      const base = `http://${ip}:${webPort}`;

      // Accounts, sessions and the meeting are written into the web app's KV before it starts.
      const webData = `${dataDir}/web`;
      await Deno.mkdir(webData);
      const kv = await Deno.openKv(`${webData}/talkspace.kv`);
      const host = await createUser(kv, { name: "Hana Host", email: "host@example.test", passwordHash: "x" });
      const member = await createUser(kv, { name: "Pat Member", email: "pat@example.test", passwordHash: "x" });
      const hostSession = await createSession(kv, host.id, "full", "e2e");
      const memberSession = await createSession(kv, member.id, "full", "e2e");
      const meeting: Meeting = await createMeeting(kv, { hostId: host.id });
      kv.close();

      const gateway = spawnIn(ns, ["run", "-A", "gateway/main.ts"], {
        TALKSPACE_LOG: "quiet",
        GATEWAY_PORT: String(gwPort),
        GATEWAY_HOST: ip,
        GATEWAY_SECRET: secret,
        JANUS_WS_PORT: String(wsPort),
        JANUS_WS_IP: ip,
        JANUS_WS_URL: `ws://${ip}:${wsPort}/`,
        JANUS_API_URL: `ws://${ip}:${wsPort}/`,
        JANUS_ADMIN_WS_PORT: String(wsPort + 1000),
        JANUS_RTP_PORT_RANGE: "30000-30999",
        JANUS_ICE_ENFORCE_LIST: ns.innerIf,
        JANUS_DEBUG_LEVEL: "3",
        DATA_DIR: `${dataDir}/gateway`,
      });
      procs.push(gateway);
      await poll("the gateway to say janus connected", async () => {
        const res = await fetch(`http://${ip}:${gwPort}/health`);
        return (await res.json()).janus === "connected";
      }, 30_000).catch((err) => {
        throw new Error(`${err.message}\n--- gateway ---\n${gateway.output()}`);
      });
      timings.gatewayReadyMs = performance.now() - t0;

      const web = spawnIn(ns, ["run", "-A", "main.ts"], {
        TALKSPACE_ENV: "development",
        PORT: String(webPort),
        PUBLIC_URL: base,
        DATA_DIR: webData,
        GATEWAY_URL: `http://${ip}:${gwPort}`,
        GATEWAY_SECRET: secret,
        // The same URL the gateway hands out: the meeting page's CSP allows exactly this origin.
        JANUS_WS_URL: `ws://${ip}:${wsPort}/`,
      });
      procs.push(web);
      await poll("the web app to answer", async () => {
        const res = await fetch(`${base}/healthz`);
        await res.body?.cancel();
        return res.ok;
      }, 30_000).catch((err) => {
        throw new Error(`${err.message}\n--- web ---\n${web.output()}`);
      });

      // Chromium runs inside the namespace through a wrapper, so its ICE candidates are on the veth.
      await Deno.writeTextFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.name} ${CHROMIUM_PATH} "$@"\n`);
      await Deno.chmod(wrapper, 0o755);
      browser = await chromium.launch({
        executablePath: wrapper,
        headless: true,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-dev-shm-usage",
          "--no-first-run",
          "--use-fake-device-for-media-stream",
          "--use-fake-ui-for-media-stream",
          "--auto-select-desktop-capture-source=Entire screen",
          "--autoplay-policy=no-user-gesture-required",
          // getUserMedia needs a secure context; the namespace's address is plain http.
          `--unsafely-treat-insecure-origin-as-secure=${base}`,
        ],
      });
      const contexts: BrowserContext[] = [];
      const newPage = async (sessionToken?: string) => {
        const context = await browser!.newContext({ viewport: { width: 1000, height: 700 } });
        contexts.push(context);
        if (sessionToken) await context.addCookies([{ name: "ts_session", value: sessionToken, url: base }]);
        const page = await context.newPage();
        page.on("pageerror", (e) => consoleLines.push(`page error: ${e.message}`));
        page.on("console", (m) => {
          if (m.type() === "warning" || m.type() === "error") consoleLines.push(`console ${m.type()}: ${m.text()}`);
        });
        return page;
      };

      // Host: opens the invitation link while signed in.
      const hostPage = await newPage(hostSession.token);
      await hostPage.goto(`${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
      // Guest: the link, then a name.
      const guestPage = await newPage();
      await guestPage.goto(`${base}/m/${meeting.meetingId}?pwd=${encodeURIComponent(meeting.linkToken)}`);
      await guestPage.fill("input[name=name]", "Gina Guest");
      await guestPage.press("input[name=name]", "Enter");
      // Signed-in participant: meeting ID and passcode.
      const memberPage = await newPage(memberSession.token);
      await memberPage.goto(`${base}/join`);
      await memberPage.fill("input[name=meetingId]", meeting.meetingId);
      await memberPage.fill("input[name=passcode]", meeting.passcode);
      await memberPage.press("input[name=passcode]", "Enter");

      const pages = { host: hostPage, guest: guestPage, member: memberPage };
      for (const [who, page] of Object.entries(pages)) {
        await page.waitForSelector("button.room-join:not([disabled])", { timeout: 20_000 }).catch((err) => {
          throw new Error(`${who}: no pre-join screen (is MeetingRoom rendered on /m/:id?): ${err.message}`);
        });
        // Pre-join: the preview and the microphone are live.
        await poll(`${who}'s camera preview`, () => page.evaluate(() => !!document.querySelector("video.room-video")));
      }
      const joinStarted = performance.now();
      await Promise.all(Object.values(pages).map((p) => p.click("button.room-join")));
      const ids: Record<string, string> = {};
      for (const [who, page] of Object.entries(pages)) {
        let last: unknown = null;
        const s = await poll(`${who} to be in the meeting with media connected`, async () => {
          const s = await state(page);
          last = s;
          return s.phase === "meeting" && s.media === "connected" && s.participantId ? s : null;
        }).catch((err) => {
          throw new Error(`${err.message}\nstate: ${JSON.stringify(last)}`);
        });
        ids[who] = s.participantId!;
      }
      timings.joinToConnectedMs = performance.now() - joinStarted;

      // Everyone decodes everyone else's video and receives their audio, and it keeps flowing.
      const everyone = Object.entries(pages);
      const firstSeen = performance.now();
      for (const [who, page] of everyone) {
        for (const [other] of everyone) {
          if (other === who) continue;
          const before = await poll(`${who} to decode ${other}'s video and audio`, async () => {
            const s = (await stats(page)).inbound[ids[other]];
            return s && s.framesDecoded > 0 && s.audioBytes > 0 ? s : null;
          });
          await poll(`${who}'s video and audio from ${other} to keep flowing`, async () => {
            const s = (await stats(page)).inbound[ids[other]];
            return s.framesDecoded > before.framesDecoded && s.videoBytes > before.videoBytes &&
              s.audioBytes > before.audioBytes;
          });
        }
      }
      timings.allMediaFlowingMs = performance.now() - firstSeen;
      const hostState = await state(hostPage);
      assert.equal(hostState.participants.length, 3);

      // The guest mutes: nobody receives audio bytes from them any more; the roster says so.
      await guestPage.click("[data-action=mute]");
      for (const [who, page] of [["host", hostPage], ["member", memberPage]] as const) {
        await poll(`${who} to see the guest muted`, async () => {
          const s = await state(page);
          return s.participants.find((p) => p.participantId === ids.guest)?.state.audio === false;
        });
        let prev = -1;
        let still = 0;
        await poll(`${who}'s inbound audio from the guest to stop growing`, async () => {
          const bytes = (await stats(page)).inbound[ids.guest]?.audioBytes ?? 0;
          still = bytes === prev ? still + 1 : 0;
          prev = bytes;
          return still >= 4; // unchanged across 4 polls of 250 ms
        }, 15_000);
        const video = (await stats(page)).inbound[ids.guest].framesDecoded;
        await poll(
          `${who} to still decode the guest's video`,
          async () => (await stats(page)).inbound[ids.guest].framesDecoded > video,
        );
      }

      // The member shares a screen: it reaches the others as a second video.
      const shareStarted = performance.now();
      await memberPage.click("[data-action=screen]");
      for (const [who, page] of [["host", hostPage], ["guest", guestPage]] as const) {
        await poll(`${who} to decode the member's screen`, async () => {
          const s = (await stats(page)).inbound[ids.member];
          return s && s.screenFramesDecoded > 0 && s.framesDecoded > 0;
        }, 30_000);
      }
      timings.screenShareMs = performance.now() - shareStarted;
      assert.ok((await stats(memberPage)).outbound.screenFramesEncoded > 0);

      // The member's socket and Janus connection are cut; they come back by themselves.
      const dropAt = performance.now();
      await memberPage.evaluate(() => (globalThis as unknown as { __talkspace: Hook }).__talkspace.dropConnections());
      await poll(
        "the member to show Reconnecting… or Reconnected",
        async () => {
          const s = await state(memberPage);
          return s.banner === "Reconnecting…" || s.banner === "Reconnected";
        },
        10_000,
        50,
      );
      await poll("the member to be reconnected", async () => {
        const s = await state(memberPage);
        return s.socket === "open" && s.media === "connected";
      }, 30_000);
      for (const [who, page] of [["host", hostPage], ["guest", guestPage]] as const) {
        const before = (await stats(page)).inbound[ids.member]?.framesDecoded ?? 0;
        await poll(`${who} to decode the member's video again`, async () => {
          const s = (await stats(page)).inbound[ids.member];
          return s && s.framesDecoded > before && s.audioBytes > 0;
        }, 30_000);
        const mine = (await stats(memberPage)).inbound[ids[who]];
        await poll(`the member to decode ${who}'s video again`, async () => {
          const s = (await stats(memberPage)).inbound[ids[who]];
          return s && s.framesDecoded > (mine?.framesDecoded ?? 0);
        }, 30_000);
      }
      timings.reconnectMs = performance.now() - dropAt;
      const after = await state(memberPage);
      assert.equal(after.participantId, ids.member, "the same participant came back");
      assert.equal((await state(hostPage)).participants.length, 3, "nobody was told the member left");

      // The host ends the meeting: everyone sees why, and media stops.
      await hostPage.click("[data-action=end]");
      for (const [who, page] of everyone) {
        await poll(`${who} to see the meeting ended`, async () => {
          const s = await state(page);
          return s.phase === "ended" && s.media === "off";
        }, 15_000);
      }
      assert.equal((await state(guestPage)).closedReason, "The host ended the meeting");
      console.log(
        "meeting media timings (ms):",
        Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
      );
      for (const c of contexts) await c.close();
    } catch (err) {
      for (const p of procs) console.error(`--- process output ---\n${p.output().slice(-4000)}`);
      console.error(`--- browser console ---\n${consoleLines.slice(-60).join("\n")}`);
      throw err;
    } finally {
      await browser?.close().catch(() => {});
      for (const p of procs.reverse()) await p.stop().catch(() => {});
      await ns.destroy();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
