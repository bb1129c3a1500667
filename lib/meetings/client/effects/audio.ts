// Enhanced noise suppression: the microphone through RNNoise (@sapphi-red/web-noise-suppressor, an
// AudioWorklet running wasm, both served from our origin) into a new track. Chromium's own
// noiseSuppression constraint stays on underneath; this removes what it leaves (keyboards, fans).

import { loadRnnoise, RnnoiseWorkletNode } from "@sapphi-red/web-noise-suppressor";
import { EFFECT_ASSETS } from "./assets.ts";

let wasm: Promise<ArrayBuffer> | null = null;

/** One microphone track through RNNoise; `stop()` closes the AudioContext (and the mic unless `keepSource`). */
export class NoiseSuppression {
  readonly source: MediaStreamTrack;
  readonly track: MediaStreamTrack;
  #ctx: AudioContext;
  #node: RnnoiseWorkletNode;
  #stopped = false;

  private constructor(source: MediaStreamTrack, ctx: AudioContext, node: RnnoiseWorkletNode) {
    this.source = source;
    this.#ctx = ctx;
    this.#node = node;
    const input = ctx.createMediaStreamSource(new MediaStream([source]));
    const output = ctx.createMediaStreamDestination();
    input.connect(node).connect(output);
    this.track = output.stream.getAudioTracks()[0];
  }

  static async create(source: MediaStreamTrack): Promise<NoiseSuppression> {
    // RNNoise works on 48 kHz frames; the browser resamples the microphone into the context.
    const ctx = new AudioContext({ sampleRate: 48_000 });
    try {
      wasm ??= loadRnnoise({ url: EFFECT_ASSETS["rnnoise.wasm"], simdUrl: EFFECT_ASSETS["rnnoise_simd.wasm"] });
      wasm.catch(() => (wasm = null));
      const [binary] = await Promise.all([wasm, ctx.audioWorklet.addModule(EFFECT_ASSETS["rnnoise_worklet.js"])]);
      const node = new RnnoiseWorkletNode(ctx, { wasmBinary: binary, maxChannels: 1 });
      // A context made without a click starts suspended; the track then carries silence until resumed.
      ctx.resume().catch(() => {});
      return new NoiseSuppression(source, ctx, node);
    } catch (err) {
      ctx.close().catch(() => {});
      throw err;
    }
  }

  stop({ keepSource = false } = {}) {
    if (this.#stopped) return;
    this.#stopped = true;
    this.track.stop();
    this.#node.destroy();
    this.#ctx.close().catch(() => {}); // rejects only when already closed
    if (!keepSource) this.source.stop();
  }
}
