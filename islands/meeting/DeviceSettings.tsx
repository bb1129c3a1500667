// Device pickers (camera, microphone, speaker when the browser can choose one), used on the
// pre-join screen and in the meeting's settings panel.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import type { DeviceOption } from "../../lib/meetings/client/devices.ts";

type DeviceKind = "camera" | "microphone" | "speaker";

const LABELS = {
  camera: "room.deviceCamera",
  microphone: "room.deviceMicrophone",
  speaker: "room.deviceSpeaker",
} as const;

interface Picker {
  kind: DeviceKind;
  label: string;
  none: string;
  options: DeviceOption[];
  value?: string;
  choose: (deviceId: string) => void;
}

export function DeviceSettings({ room }: { room: MeetingController }) {
  const d = room.devices.value;
  const picker = (kind: DeviceKind, options: DeviceOption[], value: string | undefined, choose: Picker["choose"]) => ({
    kind,
    label: room.t(LABELS[kind]),
    none: room.t("room.deviceNone"),
    options,
    value,
    choose,
  });
  const pickers: Picker[] = [
    picker("camera", d.cameras, room.camId.value, (id) => room.chooseCamera(id)),
    picker("microphone", d.microphones, room.micId.value, (id) => room.chooseMicrophone(id)),
    picker("speaker", d.speakers, room.speakerId.value, (id) => room.chooseSpeaker(id)),
  ];
  // Without setSinkId the browser plays through the system's speaker: there is nothing to choose.
  const shown = room.speakerSelectable.value ? pickers : pickers.filter((p) => p.kind !== "speaker");
  return <div class="room-devices">{shown.map((p) => <DevicePicker key={p.kind} {...p} />)}</div>;
}

function DevicePicker({ kind, label, none, options, value, choose }: Picker) {
  const id = `room-device-${kind}`;
  return (
    <div class="room-device">
      <label for={id}>{label}</label>
      <select
        id={id}
        name={kind}
        disabled={options.length === 0}
        value={value ?? ""}
        onChange={(e) => choose((e.currentTarget as HTMLSelectElement).value)}
      >
        {options.length === 0 && <option value="">{none}</option>}
        {options.map((o) => <option key={o.deviceId} value={o.deviceId}>{o.label}</option>)}
      </select>
    </div>
  );
}
