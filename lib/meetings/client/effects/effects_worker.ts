// The video effect's frame loop, in a dedicated worker: every camera frame (the transferred
// MediaStreamTrackProcessor stream) is composited with the newest mask and written to the
// transferred MediaStreamTrackGenerator stream, so a busy page (or the segmenter, which stays on
// the main thread: see video.ts) never costs frames. Its own chunk: video.ts imports it only to
// learn its URL, and the worker loads the same file from the browser's cache.

import { type Backdrop, Compositor, MASK_HEIGHT, MASK_WIDTH } from "./compositor.ts";

/** The main thread's messages (video.ts). */
export type ToWorker =
  | { type: "start"; readable: ReadableStream<VideoFrame>; writable: WritableStream<VideoFrame>; backdrop: Backdrop }
  | { type: "backdrop"; backdrop: Backdrop }
  /** The newest person mask (MASK_WIDTH×MASK_HEIGHT), for the frames from now on. */
  | { type: "mask"; mask: ImageBitmap }
  /** Asks for a MASK_WIDTH×MASK_HEIGHT copy of the next frame, to segment. */
  | { type: "want" }
  | { type: "stop" };

/** The worker's messages. */
export type FromWorker =
  | { type: "frame"; image: ImageBitmap }
  /** The loop ended (stopped, or the camera or the output track ended); the worker closes itself. */
  | { type: "stopped"; frames: number; error?: string };

/** This chunk's URL, for `new Worker(…, { type: "module" })`. */
export const EFFECTS_WORKER_URL: string = import.meta.url;

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  close(): void;
}

/** Runs the frame loop of one effect; the worker is the effect's and ends with it. */
function serve(scope: WorkerScope) {
  let compositor: Compositor | null = null;
  let reader: ReadableStreamDefaultReader<VideoFrame> | null = null;
  let wanted = false;
  let stopped = false;
  let frames = 0;

  const loop = async (readable: ReadableStream<VideoFrame>, writable: WritableStream<VideoFrame>, c: Compositor) => {
    reader = readable.getReader();
    const writer = writable.getWriter();
    let error: string | undefined;
    try {
      while (!stopped) {
        const { value: frame, done } = await reader.read();
        if (done || !frame) break;
        let out: VideoFrame;
        try {
          if (wanted) {
            wanted = false;
            const image = await createImageBitmap(frame, {
              resizeWidth: MASK_WIDTH,
              resizeHeight: MASK_HEIGHT,
              resizeQuality: "low",
            });
            scope.postMessage({ type: "frame", image }, [image]);
          }
          c.draw(frame, frame.displayWidth, frame.displayHeight);
          out = new VideoFrame(c.canvas as OffscreenCanvas, { timestamp: frame.timestamp });
        } finally {
          frame.close();
        }
        await writer.write(out); // the generator closes the frame
        frames++;
      }
    } catch (err) {
      // Writing fails once the output track was stopped: the normal end when the effect is turned off.
      if (!stopped) error = String(err);
    } finally {
      reader.cancel().catch(() => {}); // lets the camera's processor go
      writer.close().catch(() => {}); // rejects when the track already ended
      c.close();
      scope.postMessage({ type: "stopped", frames, error });
      scope.close();
    }
  };

  scope.onmessage = ({ data: m }) => {
    switch (m.type) {
      case "start":
        compositor = new Compositor(new OffscreenCanvas(2, 2));
        compositor.setBackdrop(m.backdrop);
        loop(m.readable, m.writable, compositor);
        break;
      case "backdrop":
        if (compositor) compositor.setBackdrop(m.backdrop);
        else if (m.backdrop.kind === "image") m.backdrop.image.close();
        break;
      case "mask":
        if (compositor && !stopped) compositor.setMask(m.mask);
        else m.mask.close();
        break;
      case "want":
        wanted = true;
        break;
      case "stop":
        stopped = true;
        reader?.cancel().catch(() => {}); // ends a pending read, and so the loop
        if (!reader) scope.close();
        break;
    }
  };
}

// Only in the worker: on the main thread this module is imported for its URL alone.
if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope === "function") {
  serve(globalThis as unknown as WorkerScope);
}
