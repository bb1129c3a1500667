// Background blur and virtual backgrounds: the camera track through MediaPipe's selfie segmentation
// (@mediapipe/selfie_segmentation: wasm and model served from our origin), composited on a canvas,
// out as a new track. Loaded by a dynamic import only when an effect is turned on (its own chunk).
//
// Two loops at their own rates. The frame loop composites every camera frame with the newest mask:
// in a dedicated worker (effects_worker.ts) on the transferred insertable streams, or on this
// thread with canvas.captureStream where those are missing. The segmenter stays on the main
// thread (its loader needs a page or a classic worker, and the meeting page's policy is what
// allows its wasm) and makes masks from small copies of the frames, paced so that it takes at
// most MASKS_PER_SECOND and never more than half of the main thread: the output keeps the
// camera's frame rate while the mask lags a frame or two.

import type { SelfieSegmentation } from "@mediapipe/selfie_segmentation";
import { EFFECT_ASSETS } from "./assets.ts";
import { type Backdrop, Compositor, MASK_HEIGHT, MASK_WIDTH } from "./compositor.ts";
// Types only: a value import would pull the worker's module into this chunk (it must stay its own).
import type { FromWorker, ToWorker } from "./effects_worker.ts";

export type Background = { kind: "blur" } | { kind: "image"; url: string };

/** The segmenter's pace: masks per second at most (a person moves little in 1/15 s). */
export const MASKS_PER_SECOND = 15;

/** Chromium's insertable streams for raw video (not in the DOM typings; feature-detected). */
interface InsertableStreams {
  MediaStreamTrackProcessor: new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => {
    readable: ReadableStream<VideoFrame>;
  };
  MediaStreamTrackGenerator: new (
    init: { kind: "video" },
  ) => MediaStreamTrack & { writable: WritableStream<VideoFrame> };
}
const streams = globalThis as unknown as Partial<InsertableStreams>;

/**
 * Where the model runs. MediaPipe's graph always uses WebGL around the model; the model itself runs
 * in WebGL on a GPU, and on the CPU (wasm SIMD, XNNPACK) when WebGL is a software renderer
 * (SwiftShader where there is no GPU), where that is about 12 times faster (12 vs 142 ms a mask).
 */
export type Backend = "WebGL" | "wasm (WebGL is software)";

interface Segmenter {
  /** The person mask (alpha, MASK_WIDTH×MASK_HEIGHT) of `image`, the caller's to close. */
  segment(image: ImageBitmap): Promise<ImageBitmap>;
  backend: Backend;
}

let segmenter: Promise<Segmenter> | null = null;

/** The one segmenter of this page (loading the wasm and model once). */
export function loadSegmenter(): Promise<Segmenter> {
  segmenter ??= (async () => {
    await loadScript(EFFECT_ASSETS["selfie_segmentation.js"]);
    const Ctor = (globalThis as unknown as { SelfieSegmentation: typeof SelfieSegmentation }).SelfieSegmentation;
    const assets = EFFECT_ASSETS as Record<string, string>;
    const s = new Ctor({
      locateFile: (file) => {
        const url = assets[file];
        if (!url) throw new Error(`the selfie segmentation asked for ${file}, which we do not serve`);
        return url;
      },
    });
    const backend: Backend = softwareWebgl() ? "wasm (WebGL is software)" : "WebGL";
    // useCpuInference is the solution's own option (its default on iOS), missing from its typings.
    s.setOptions({ modelSelection: 1, useCpuInference: backend !== "WebGL" } as Parameters<typeof s.setOptions>[0]);
    let resolveMask: ((m: CanvasImageSource) => void) | null = null;
    s.onResults((r) => {
      // The solution also hands back its scaled input, which nothing here uses.
      if (r.image instanceof ImageBitmap) r.image.close();
      resolveMask?.(r.segmentationMask);
    });
    await s.initialize();
    // Serialized: the solution answers one image at a time.
    let queue: Promise<unknown> = Promise.resolve();
    const segment = (image: ImageBitmap) => {
      const run = queue.then(async () => {
        const mask = new Promise<CanvasImageSource>((r) => (resolveMask = r));
        await s.send({ image: image as unknown as HTMLCanvasElement }); // it reads width and height
        const m = await mask;
        // A fresh bitmap per result where the browser has createImageBitmap (every one we run in).
        return m instanceof ImageBitmap ? m : await createImageBitmap(m);
      });
      queue = run.catch(() => {});
      return run;
    };
    return { segment, backend };
  })();
  segmenter.catch(() => (segmenter = null)); // a later try loads again
  return segmenter;
}

function softwareWebgl(): boolean {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext("webgl2");
    const info = gl?.getExtension("WEBGL_debug_renderer_info");
    const renderer = info ? String(gl!.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
    return /swiftshader|llvmpipe|software/i.test(renderer);
  } catch {
    return true;
  }
}

/** Runs a classic script from our origin (the solution's loader defines a global). */
function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = src;
    el.onload = () => resolve();
    el.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(el);
  });
}

/** Decodes a background image (from our origin) once. */
async function loadImage(url: string): Promise<ImageBitmap> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`background ${url}: HTTP ${res.status}`);
  return await createImageBitmap(await res.blob());
}

async function loadBackdrop(background: Background): Promise<Backdrop> {
  return background.kind === "image" ? { kind: "image", image: await loadImage(background.url) } : { kind: "blur" };
}

/** Options for tests and benchmarks. */
export interface VideoEffectOptions {
  /** false: the main-thread canvas.captureStream path even where insertable streams exist. */
  insertable?: boolean;
}

/** What an effect has done so far (for the benchmark and the tests). */
export interface VideoEffectStats {
  /** Masks made. */
  masks: number;
  /** Milliseconds from handing a frame to the segmenter to its mask, summed (an upper bound on its main-thread time). */
  segmentMs: number;
}

/**
 * One camera track with an effect: `track` is what gets published and previewed. `stop()` ends the
 * frame loop (and its worker), the segmenter's loop and the output track, and the camera track too
 * unless `keepSource` (the effect was turned off and the raw camera goes on).
 */
export class VideoEffect {
  readonly source: MediaStreamTrack;
  readonly track: MediaStreamTrack;
  readonly backend: Backend;
  readonly stats: VideoEffectStats = { masks: 0, segmentMs: 0 };
  /** Settles once both loops have ended (after `stop()`, or when the camera ended). */
  readonly done: Promise<void>;
  #segmenter: Segmenter;
  #stopped = false;
  /** Resolves the segmenter loop's pending request for a small frame (null: stopped). */
  #wantFrame: ((image: ImageBitmap | null) => void) | null = null;
  #pause: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | null = null;
  #frames: FrameLoop;

  private constructor(source: MediaStreamTrack, seg: Segmenter, frames: FrameLoop) {
    this.source = source;
    this.#segmenter = seg;
    this.backend = seg.backend;
    this.#frames = frames;
    this.track = frames.track;
    this.track.contentHint = "motion";
    this.done = Promise.all([this.#segmentLoop(), frames.done]).then(() => {});
    // A frame loop that ended by itself (the camera ended, the worker failed) ends the effect.
    frames.done.then(() => this.stop({ keepSource: true }));
  }

  static async create(
    source: MediaStreamTrack,
    background: Background,
    opts: VideoEffectOptions = {},
  ): Promise<VideoEffect> {
    const insertable = opts.insertable !== false && typeof streams.MediaStreamTrackProcessor === "function" &&
      typeof streams.MediaStreamTrackGenerator === "function";
    const [seg, backdrop, worker] = await Promise.all([
      loadSegmenter(),
      loadBackdrop(background),
      insertable ? import("./effects_worker.ts").then((m) => m.EFFECTS_WORKER_URL) : null,
    ]);
    let effect: VideoEffect | null = null;
    const onFrame = (image: ImageBitmap) => effect ? effect.#gotFrame(image) : image.close();
    const frames = worker ? workerLoop(worker, source, backdrop, onFrame) : canvasLoop(source, backdrop, onFrame);
    effect = new VideoEffect(source, seg, frames);
    return effect;
  }

  async setBackground(background: Background) {
    const backdrop = await loadBackdrop(background);
    if (this.#stopped) return backdrop.kind === "image" ? backdrop.image.close() : undefined;
    this.#frames.setBackdrop(backdrop);
  }

  stop({ keepSource = false } = {}) {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#wantFrame?.(null);
    clearTimeout(this.#pause);
    this.#wake?.();
    this.#frames.stop();
    this.track.stop();
    if (!keepSource) this.source.stop();
  }

  #gotFrame(image: ImageBitmap) {
    const want = this.#wantFrame;
    this.#wantFrame = null;
    if (want && !this.#stopped) want(image);
    else image.close();
  }

  /** Masks at the segmenter's pace, each from the newest frame, until stopped. */
  async #segmentLoop() {
    try {
      while (!this.#stopped) {
        const started = performance.now();
        const image = await new Promise<ImageBitmap | null>((resolve) => {
          this.#wantFrame = resolve;
          this.#frames.want();
        });
        if (!image) break;
        const t0 = performance.now();
        let mask: ImageBitmap;
        try {
          mask = await this.#segmenter.segment(image);
        } finally {
          image.close();
        }
        const busy = performance.now() - t0;
        if (this.#stopped) {
          mask.close();
          break;
        }
        this.#frames.setMask(mask);
        this.stats.masks++;
        this.stats.segmentMs += busy;
        // At most MASKS_PER_SECOND, and idle at least as long as the mask took.
        const wait = Math.max(1000 / MASKS_PER_SECOND - (performance.now() - started), busy);
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#pause = setTimeout(resolve, wait);
        });
      }
    } catch (err) {
      if (!this.#stopped) console.warn("[effects] the segmenter stopped", err);
    }
  }
}

/** The frame loop, wherever it runs. */
interface FrameLoop {
  track: MediaStreamTrack;
  /** Settles when the loop has ended. */
  done: Promise<void>;
  setBackdrop(b: Backdrop): void;
  setMask(mask: ImageBitmap): void;
  /** Asks for a small copy of the next frame (handed to the loop's `onFrame`). */
  want(): void;
  stop(): void;
}

/** Chromium: the processor's and generator's streams transferred to a worker that composites. */
function workerLoop(
  url: string,
  source: MediaStreamTrack,
  backdrop: Backdrop,
  onFrame: (image: ImageBitmap) => void,
): FrameLoop {
  const processor = new streams.MediaStreamTrackProcessor!({ track: source, maxBufferSize: 2 });
  const generator = new streams.MediaStreamTrackGenerator!({ kind: "video" });
  const worker = new Worker(url, { type: "module", name: "video effect" });
  const post = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);
  const images = (b: Backdrop) => b.kind === "image" ? [b.image] : [];
  let ended: () => void;
  const done = new Promise<void>((r) => (ended = r));
  let stopTimer: ReturnType<typeof setTimeout> | undefined;
  let stopping = false;
  const end = () => {
    clearTimeout(stopTimer);
    worker.terminate();
    ended();
  };
  worker.onmessage = ({ data: m }: MessageEvent<FromWorker>) => {
    if (m.type === "frame") onFrame(m.image);
    else if (m.type === "stopped") {
      if (m.error && !stopping) console.warn("[effects] the video effect stopped", m.error);
      end();
    }
  };
  worker.onerror = (e) => {
    console.warn("[effects] the video effect's worker failed", e.message);
    end();
  };
  const { readable } = processor, { writable } = generator;
  post({ type: "start", readable, writable, backdrop }, [readable, writable, ...images(backdrop)]);
  return {
    track: generator,
    done,
    setBackdrop: (b) => post({ type: "backdrop", backdrop: b }, images(b)),
    setMask: (mask) => post({ type: "mask", mask }, [mask]),
    want: () => post({ type: "want" }),
    stop: () => {
      stopping = true;
      post({ type: "stop" });
      // The worker closes itself once its streams are let go; it is ended here if it does not.
      stopTimer = setTimeout(end, 1000);
    },
  };
}

/** Other browsers: a hidden <video>, a frame callback, and the canvas's own stream (this thread). */
function canvasLoop(source: MediaStreamTrack, backdrop: Backdrop, onFrame: (image: ImageBitmap) => void): FrameLoop {
  const canvas = document.createElement("canvas");
  const compositor = new Compositor(canvas);
  compositor.setBackdrop(backdrop);
  const video = document.createElement("video");
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([source]);
  video.play().catch(() => {}); // muted autoplay is allowed; a refusal shows as no frames
  let wanted = false;
  let stopped = false;
  let handle = 0;
  let ended: () => void;
  const done = new Promise<void>((r) => (ended = r));
  const draw = () => {
    if (stopped) return;
    if (video.videoWidth) {
      if (wanted) {
        wanted = false;
        createImageBitmap(video, { resizeWidth: MASK_WIDTH, resizeHeight: MASK_HEIGHT, resizeQuality: "low" })
          .then(onFrame, () => (wanted = true)); // not decodable yet: the next frame
      }
      compositor.draw(video, video.videoWidth, video.videoHeight);
    }
    handle = "requestVideoFrameCallback" in video ? video.requestVideoFrameCallback(draw) : requestAnimationFrame(draw);
  };
  draw();
  return {
    track: canvas.captureStream(30).getVideoTracks()[0],
    done,
    setBackdrop: (b) => compositor.setBackdrop(b),
    setMask: (mask) => compositor.setMask(mask),
    want: () => (wanted = true),
    stop: () => {
      stopped = true;
      if ("cancelVideoFrameCallback" in video) video.cancelVideoFrameCallback(handle);
      cancelAnimationFrame(handle);
      video.srcObject = null;
      compositor.close();
      ended();
    },
  };
}
