// Background blur and virtual backgrounds: the camera track through MediaPipe's selfie segmentation
// (@mediapipe/selfie_segmentation: wasm and model served from our origin), composited on a canvas,
// out as a new track. Loaded by a dynamic import only when an effect is turned on (its own chunk).

import type { SelfieSegmentation } from "@mediapipe/selfie_segmentation";
import { EFFECT_ASSETS } from "./assets.ts";
import { coverRect, FrameRate } from "./compose.ts";

export type Background = { kind: "blur" } | { kind: "image"; url: string };

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

/** MediaPipe's solution runs its graph in WebGL (a software renderer where there is no GPU). */
export type Backend = "WebGL" | "WebGL (software)";

interface Segmenter {
  /** The person mask (alpha) of `image`, valid until the next call. */
  segment(image: CanvasImageSource): Promise<CanvasImageSource>;
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
    s.setOptions({ modelSelection: 1 }); // landscape: 144×256, fits 16:9 cameras
    let resolveMask: ((m: CanvasImageSource) => void) | null = null;
    s.onResults((r) => resolveMask?.(r.segmentationMask));
    await s.initialize();
    // Serialized: the solution answers one image at a time.
    let queue: Promise<unknown> = Promise.resolve();
    const segment = (image: CanvasImageSource) => {
      const run = queue.then(async () => {
        const mask = new Promise<CanvasImageSource>((r) => (resolveMask = r));
        await s.send({ image: image as HTMLCanvasElement });
        return await mask;
      });
      queue = run.catch(() => {});
      return run;
    };
    return { segment, backend: webglRenderer() };
  })();
  segmenter.catch(() => (segmenter = null)); // a later try loads again
  return segmenter;
}

function webglRenderer(): Backend {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext("webgl2");
    const info = gl?.getExtension("WEBGL_debug_renderer_info");
    const renderer = info ? String(gl!.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
    return /swiftshader|llvmpipe|software/i.test(renderer) ? "WebGL (software)" : "WebGL";
  } catch {
    return "WebGL (software)";
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

/**
 * One camera track with an effect: `track` is what gets published and previewed. `stop()` ends the
 * frame loop and the output track, and the camera track too unless `keepSource` (the effect was
 * turned off and the raw camera goes on).
 */
export class VideoEffect {
  readonly source: MediaStreamTrack;
  readonly track: MediaStreamTrack;
  readonly backend: Backend;
  readonly frames = new FrameRate();
  #segmenter: Segmenter;
  #background: Background;
  #image: ImageBitmap | null = null;
  #stopped = false;
  #out: OffscreenCanvas | HTMLCanvasElement;
  #ctx: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D;
  #input: OffscreenCanvas;
  #inputCtx: OffscreenCanvasRenderingContext2D;
  /** The model's own size (256×144): scaling down here is cheaper than in the solution's WebGL. */
  #segIn = new OffscreenCanvas(256, 144);
  #segInCtx = this.#segIn.getContext("2d")!;
  /** The latest person mask, kept until the next one is ready. */
  #mask = new OffscreenCanvas(256, 144);
  #maskCtx = this.#mask.getContext("2d")!;
  #hasMask = false;
  #segmenting = false;
  #small: OffscreenCanvas;
  #smallCtx: OffscreenCanvasRenderingContext2D;
  #cleanup: () => void = () => {};

  private constructor(source: MediaStreamTrack, seg: Segmenter) {
    this.source = source;
    this.#segmenter = seg;
    this.backend = seg.backend;
    this.#background = { kind: "blur" };
    const insertable = typeof streams.MediaStreamTrackProcessor === "function" &&
      typeof streams.MediaStreamTrackGenerator === "function";
    this.#out = insertable ? new OffscreenCanvas(2, 2) : document.createElement("canvas");
    this.#ctx = this.#out.getContext("2d") as OffscreenCanvasRenderingContext2D;
    this.#input = new OffscreenCanvas(2, 2);
    this.#inputCtx = this.#input.getContext("2d")!;
    this.#small = new OffscreenCanvas(2, 2);
    this.#smallCtx = this.#small.getContext("2d")!;
    this.track = insertable ? this.#runInsertable() : this.#runCanvas();
    this.track.contentHint = "motion";
  }

  static async create(source: MediaStreamTrack, background: Background): Promise<VideoEffect> {
    const effect = new VideoEffect(source, await loadSegmenter());
    await effect.setBackground(background);
    return effect;
  }

  async setBackground(background: Background) {
    const image = background.kind === "image" ? await loadImage(background.url) : null;
    this.#image?.close();
    this.#image = image;
    this.#background = background;
  }

  stop({ keepSource = false } = {}) {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#cleanup();
    this.track.stop();
    this.#image?.close();
    if (!keepSource) this.source.stop();
  }

  /** Chromium: MediaStreamTrackProcessor → VideoFrame → canvas → MediaStreamTrackGenerator. */
  #runInsertable(): MediaStreamTrack {
    const processor = new streams.MediaStreamTrackProcessor!({ track: this.source, maxBufferSize: 2 });
    const generator = new streams.MediaStreamTrackGenerator!({ kind: "video" });
    const reader = processor.readable.getReader();
    const writer = generator.writable.getWriter();
    this.#cleanup = () => {
      reader.cancel().catch(() => {}); // rejects once the source ended: nothing left to cancel
      writer.close().catch(() => {});
    };
    (async () => {
      while (!this.#stopped) {
        const { value: frame, done } = await reader.read();
        if (done || !frame) break;
        let out: VideoFrame | null = null;
        try {
          await this.#render(frame, frame.displayWidth, frame.displayHeight);
          out = new VideoFrame(this.#out as OffscreenCanvas, { timestamp: frame.timestamp });
        } finally {
          frame.close();
        }
        if (this.#stopped) {
          out.close();
          break;
        }
        await writer.write(out); // the generator closes the frame
        this.frames.tick(performance.now());
      }
    })().catch((err) => {
      if (!this.#stopped) console.warn("[effects] the video effect stopped", err);
    });
    return generator;
  }

  /** Other browsers: a hidden <video>, a frame callback, and the canvas's own stream. */
  #runCanvas(): MediaStreamTrack {
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([this.source]);
    video.play().catch(() => {}); // muted autoplay is allowed; a refusal shows as no frames
    let handle = 0;
    const onFrame = async () => {
      if (this.#stopped) return;
      if (video.videoWidth) {
        await this.#render(video, video.videoWidth, video.videoHeight);
        this.frames.tick(performance.now());
      }
      handle = "requestVideoFrameCallback" in video
        ? video.requestVideoFrameCallback(onFrame)
        : requestAnimationFrame(onFrame);
    };
    onFrame();
    this.#cleanup = () => {
      if ("cancelVideoFrameCallback" in video) video.cancelVideoFrameCallback(handle);
      cancelAnimationFrame(handle);
      video.srcObject = null;
    };
    return (this.#out as HTMLCanvasElement).captureStream(30).getVideoTracks()[0];
  }

  async #render(frame: VideoFrame | HTMLVideoElement, w: number, h: number) {
    if (this.#out.width !== w || this.#out.height !== h) {
      this.#out.width = this.#input.width = w;
      this.#out.height = this.#input.height = h;
      this.#small.width = Math.max(1, Math.round(w / 4));
      this.#small.height = Math.max(1, Math.round(h / 4));
    }
    // The solution takes canvases, not VideoFrames: the frame goes through one first.
    this.#inputCtx.drawImage(frame, 0, 0, w, h);
    // Segmentation runs beside the frames: each frame is drawn with the newest mask, so a slow
    // segmenter (software WebGL) lags the edge a little instead of lowering the frame rate.
    if (!this.#segmenting) {
      this.#segmenting = true;
      this.#segInCtx.drawImage(frame, 0, 0, 256, 144);
      const done = this.#segmenter.segment(this.#segIn as unknown as HTMLCanvasElement).then((mask) => {
        this.#maskCtx.globalCompositeOperation = "copy";
        this.#maskCtx.drawImage(mask, 0, 0, 256, 144);
        this.#hasMask = true;
      }).finally(() => (this.#segmenting = false));
      if (!this.#hasMask) await done; // the first frame waits, so the background never shows unmasked
    }
    const mask = this.#mask;
    const ctx = this.#ctx;
    // The person: the mask (scaled up smoothly, so its edge is soft), then the frame inside it.
    ctx.globalCompositeOperation = "copy";
    ctx.drawImage(mask, 0, 0, w, h);
    ctx.globalCompositeOperation = "source-in";
    ctx.drawImage(this.#input, 0, 0, w, h);
    // The background behind: the frame blurred at a quarter size (16 times fewer pixels to blur,
    // and scaling up blurs further), or the chosen image.
    ctx.globalCompositeOperation = "destination-over";
    if (this.#background.kind === "image" && this.#image) {
      ctx.drawImage(this.#image, ...coverRect(this.#image.width, this.#image.height, w, h), 0, 0, w, h);
    } else {
      this.#smallCtx.filter = "blur(3px)";
      this.#smallCtx.drawImage(this.#input, 0, 0, this.#small.width, this.#small.height);
      ctx.drawImage(this.#small, 0, 0, w, h);
    }
    ctx.globalCompositeOperation = "source-over";
  }
}
