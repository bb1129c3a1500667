// The Effects group on the pre-join screen and in Settings: the camera's background (none, blur or
// a bundled image) and enhanced noise suppression for the microphone. Choosing one loads the
// effects chunk (segmenter, RNNoise) for the first time; the status line says so.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { BACKGROUNDS } from "../../lib/meetings/client/effects/choices.ts";
import type { VideoEffectChoice } from "../../lib/meetings/client/effects/choices.ts";

export function Effects({ room }: { room: MeetingController }) {
  const effect = room.videoEffect.value;
  const image = room.background.value;
  const { video, audio } = room.effectState.value;
  const why = room.effectsUnsupported.value;
  const options: { value: string; label: string; choice: VideoEffectChoice; image?: string }[] = [
    { value: "none", label: "None", choice: "none" },
    { value: "blur", label: "Blur", choice: "blur" },
    ...BACKGROUNDS.map((b) => ({ value: b.id, label: b.label, choice: "image" as const, image: b.id })),
  ];
  const status = [
    video.status === "loading" ? (effect === "blur" ? "Loading background blur…" : "Loading background…") : "",
    audio.status === "loading" ? "Loading noise suppression…" : "",
    video.status === "failed" ? video.message : "",
    audio.status === "failed" ? audio.message : "",
  ].filter(Boolean).join(" ");
  return (
    <div class="room-effects" data-effect-video={video.status} data-effect-audio={audio.status}>
      <fieldset class="room-effects-background" disabled={!!why.video}>
        <legend>Background</legend>
        {options.map((o) => (
          <label key={o.value} class="room-effects-option">
            <input
              type="radio"
              name="room-background"
              value={o.value}
              checked={effect === o.choice && (o.choice !== "image" || o.image === image)}
              onChange={() => room.setVideoEffect(o.choice, o.image)}
            />
            {o.label}
          </label>
        ))}
        {why.video && <p class="room-effects-why">{why.video}</p>}
      </fieldset>
      <label class="room-effects-option">
        <input
          type="checkbox"
          name="noise-suppression"
          checked={room.noiseSuppression.value}
          disabled={!!why.audio}
          onChange={(e) => room.setNoiseSuppression((e.currentTarget as HTMLInputElement).checked)}
        />
        Enhanced noise suppression
      </label>
      {why.audio && <p class="room-effects-why">{why.audio}</p>}
      <p class="room-effects-status" role="status">{status}</p>
    </div>
  );
}
