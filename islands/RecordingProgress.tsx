// A recording's processing progress on its page, kept current without a reload: polls the
// recording's API with the page's session cookie and reloads the page once it is ready or failed
// (the page then shows the player or the reason). The server renders the same bar at first.

import { useEffect, useState } from "preact/hooks";

export interface RecordingProgressProps {
  recordingId: string;
  progress: number;
  /** The bar's label, e.g. "Processing" (the page's language). */
  label: string;
  /** The page's language, for the percentage (Intl). */
  locale: string;
}

/** How often the page asks (processing takes minutes; the web's own poll of the gateway is every 2 s). */
export const POLL_MS = 3000;

export default function RecordingProgress({ recordingId, progress: initial, label, locale }: RecordingProgressProps) {
  const [progress, setProgress] = useState(initial);
  useEffect(() => {
    let stopped = false;
    const tick = async () => {
      try {
        const res = await fetch(`/api/v1/recordings/${encodeURIComponent(recordingId)}`, {
          credentials: "same-origin",
          headers: { accept: "application/json" },
        });
        if (res.ok) {
          const r = await res.json() as { state: string; progress: number };
          if (r.state !== "processing" && r.state !== "recording") {
            location.reload();
            return;
          }
          setProgress(r.progress);
        }
      } catch { /* offline for a moment: the next tick asks again */ }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    let timer = setTimeout(tick, POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [recordingId]);
  const percent = new Intl.NumberFormat(locale, { style: "percent" }).format(progress / 100);
  return (
    <div class="recording-progress">
      <label for={`progress-${recordingId}`}>{label}</label>{" "}
      <progress id={`progress-${recordingId}`} max={100} value={progress}>{percent}</progress>{" "}
      <span aria-live="polite" data-progress={progress}>{percent}</span>
    </div>
  );
}
