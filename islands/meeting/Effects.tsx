// The Effects group on the pre-join screen and in Settings: the camera's background (none, blur or
// a bundled image) and enhanced noise suppression for the microphone. Choosing one loads the
// effects chunk (segmenter, RNNoise) for the first time; the status line says so.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import { BACKGROUNDS } from "../../lib/meetings/client/effects/choices.ts";
import type { VideoEffectChoice } from "../../lib/meetings/client/effects/choices.ts";
import type { MessageKey } from "../../lib/i18n/client.ts";

/** The bundled backgrounds' names in the catalogs (a background without one shows its file's label). */
const BACKGROUND_NAMES: Record<string, MessageKey> = {
  "bg-dusk.webp": "room.bgDusk",
  "bg-garden.webp": "room.bgGarden",
};

export function Effects({ room }: { room: MeetingController }) {
  const { t } = room;
  const effect = room.videoEffect.value;
  const image = room.background.value;
  const { video, audio } = room.effectState.value;
  const why = room.effectsUnsupported.value;
  const options: { value: string; label: string; choice: VideoEffectChoice; image?: string }[] = [
    { value: "none", label: t("room.effectNone"), choice: "none" },
    { value: "blur", label: t("room.effectBlur"), choice: "blur" },
    ...BACKGROUNDS.map((b) => ({
      value: b.id,
      label: BACKGROUND_NAMES[b.id] ? t(BACKGROUND_NAMES[b.id]) : b.label,
      choice: "image" as const,
      image: b.id,
    })),
  ];
  const status = [
    video.status === "loading" ? t(effect === "blur" ? "room.loadingBlur" : "room.loadingBackground") : "",
    audio.status === "loading" ? t("room.loadingNoise") : "",
    video.status === "failed" ? video.message : "",
    audio.status === "failed" ? audio.message : "",
  ].filter(Boolean).join(" ");
  return (
    <div class="room-effects" data-effect-video={video.status} data-effect-audio={audio.status}>
      <fieldset class="room-effects-background" disabled={!!why.video}>
        <legend>{t("room.effectsBackground")}</legend>
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
        {t("room.noiseSuppression")}
      </label>
      {why.audio && <p class="room-effects-why">{why.audio}</p>}
      <p class="room-effects-status" role="status">{status}</p>
    </div>
  );
}
