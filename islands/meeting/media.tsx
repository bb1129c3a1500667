// Media elements for the meeting island: a video bound to one track, an audio sink that follows
// the chosen speaker, and a live microphone level bar. srcObject and style are set from JS, never
// as attributes (the CSP forbids inline styles in server markup).

import { useEffect, useRef } from "preact/hooks";
import { MicLevelMeter } from "../../lib/meetings/client/devices.ts";

export function VideoView(
  { track, mirror = false, label, fit = "cover" }: {
    track: MediaStreamTrack | null;
    mirror?: boolean;
    label: string;
    fit?: "cover" | "contain";
  },
) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.srcObject = track ? new MediaStream([track]) : null;
    if (track) el.play().catch(() => {/* autoplay refused; muted videos normally play */});
  }, [track]);
  return (
    <video
      ref={ref}
      class={`room-video${mirror ? " is-mirrored" : ""}${fit === "contain" ? " is-contained" : ""}`}
      autoplay
      playsInline
      muted
      aria-label={label}
    />
  );
}

/** Plays one remote audio track on the chosen output device (when the browser can choose). */
export function AudioSink({ track, sinkId }: { track: MediaStreamTrack; sinkId?: string }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.srcObject = new MediaStream([track]);
    el.play().catch(() => {/* needs a gesture; Join was one */});
  }, [track]);
  useEffect(() => {
    const el = ref.current as (HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> }) | null;
    if (el && sinkId && el.setSinkId) {
      // The device may have been unplugged or refused: the audio keeps playing on the default output.
      el.setSinkId(sinkId).catch((err) => console.warn("[meeting] could not play on the chosen speaker", String(err)));
    }
  }, [sinkId, track]);
  return <audio ref={ref} autoplay class="room-audio" />;
}

/** A bar that follows the microphone's level, for "is my mic working?". */
export function LevelMeter(
  { track, muted = false, label }: { track: MediaStreamTrack | null; muted?: boolean; label: string },
) {
  const bar = useRef<HTMLSpanElement>(null);
  const outer = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!track || typeof AudioContext === "undefined") return;
    let meter: MicLevelMeter | null = null;
    try {
      meter = new MicLevelMeter(track);
    } catch {
      return; // no WebAudio for this track (an ended track, a locked-down browser): the bar stays empty
    }
    let frame = 0;
    let smoothed = 0;
    let announced = 0;
    const tick = () => {
      const level = meter!.level();
      smoothed = Math.max(level, smoothed * 0.85);
      if (bar.current) bar.current.style.transform = `scaleX(${smoothed.toFixed(3)})`;
      // role=meter needs a value (axe: aria-required-attr); written in steps of 10 %, not per frame,
      // so assistive technology reading it is not flooded with changes.
      const percent = Math.round(smoothed * 10) * 10;
      if (percent !== announced && outer.current) {
        announced = percent;
        outer.current.setAttribute("aria-valuenow", String(percent));
      }
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => {
      cancelAnimationFrame(frame);
      meter?.close();
      if (bar.current) bar.current.style.transform = "scaleX(0)";
      outer.current?.setAttribute("aria-valuenow", "0");
    };
  }, [track]);
  return (
    <span
      ref={outer}
      class={`room-level${muted ? " is-muted" : ""}${track ? "" : " is-off"}`}
      role="meter"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={0}
    >
      <span ref={bar} class="room-level-bar" />
    </span>
  );
}
