// bench/sip.ts support: the floor for call setup. janode against the SAME Janus the gateway runs
// (through the gateway's own JanusLink: admin connection, token, one session), an AudioBridge room
// of our own (created with the gateway's admin key, plain RTP allowed), and a plain-RTP participant
// `join` timed from the request to its answer, as the gateway's AudioBridgeManager sends it.

import AudioBridgePlugin from "janode/plugins/audiobridge";
import { JanusLink } from "../../gateway/janus/link.ts";
import type { JanodeHandle, JanodeSession, JanusContext, JanusListener } from "../../gateway/janus/link.ts";

export interface FloorSample {
  /** attach of a fresh handle (the gateway attaches one per participant). */
  attachMs: number;
  /** join request → its answer (with the plain-RTP address). */
  joinMs: number;
}

export class AudioBridgeFloor implements JanusListener {
  #link: JanusLink;
  #session: JanodeSession | null = null;
  #manager: JanodeHandle | null = null;
  readonly room = 9_000_000_000 + Math.floor(Math.random() * 900_000_000);
  #sink = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });

  constructor(readonly opts: { apiUrl: string; adminUrl: string; adminSecret: string; adminKey: string }) {
    this.#link = new JanusLink({ apiUrl: opts.apiUrl, adminUrl: opts.adminUrl, adminSecret: opts.adminSecret });
    this.#link.addListener(this);
  }

  async connected(ctx: JanusContext): Promise<void> {
    this.#session = ctx.session;
    this.#manager = await ctx.session.attach(AudioBridgePlugin) as JanodeHandle;
  }

  disconnected(): void {
    this.#session = null;
    this.#manager = null;
  }

  async start() {
    this.#link.start();
    await Promise.race([
      this.#link.whenConnected(),
      new Promise((_, reject) => setTimeout(() => reject(new Error("janode link did not connect")), 15_000)),
    ]);
    await this.#request(this.#manager!, {
      request: "create",
      room: this.room,
      admin_key: this.opts.adminKey,
      description: "bench floor",
      is_private: true,
      permanent: false,
      sampling_rate: 16000,
      allow_rtp_participants: true,
      groups: ["web", "sip"],
      audiolevel_event: false,
      record: false,
    });
  }

  async #request(h: JanodeHandle, body: Record<string, unknown>) {
    const res = await h.message(body) as { plugindata?: { data?: Record<string, unknown> } };
    const data = res.plugindata?.data ?? {};
    if (typeof data.error_code === "number") throw new Error(`${body.request}: ${data.error_code} ${data.error}`);
    return data;
  }

  /** One plain-RTP participant: attach, join (timed), then leave and detach (not timed). */
  async sample(i: number): Promise<FloorSample> {
    const t0 = performance.now();
    const handle = await this.#session!.attach(AudioBridgePlugin) as JanodeHandle;
    const t1 = performance.now();
    const data = await this.#request(handle, {
      request: "join",
      room: this.room,
      display: `floor ${i}`,
      group: "sip",
      codec: "pcmu",
      muted: false,
      rtp: { ip: "127.0.0.1", port: (this.#sink.addr as Deno.NetAddr).port, payload_type: 0 },
    });
    const t2 = performance.now();
    const rtp = data.rtp as { port?: number } | undefined;
    if (typeof data.id !== "number" || !rtp?.port) {
      await this.#request(handle, { request: "leave" }).catch(() => {});
      throw new Error(`join answered without an RTP address: ${JSON.stringify(data)}`);
    }
    // Janus detaches a plain-RTP participant's handle when it leaves; detach only if leave failed.
    const left = await this.#request(handle, { request: "leave" }).then(() => true, () => false);
    if (!left) await handle.detach().catch(() => {});
    return { attachMs: t1 - t0, joinMs: t2 - t1 };
  }

  async stop() {
    if (this.#manager) {
      await this.#request(this.#manager, { request: "destroy", room: this.room, permanent: false }).catch(() => {});
    }
    await this.#link.stop();
    this.#sink.close();
  }
}
