// Device pickers (camera, microphone, speaker when the browser can choose one), used on the
// pre-join screen and in the meeting's settings panel.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import type { DeviceOption } from "../../lib/meetings/client/devices.ts";

type DeviceKind = "camera" | "microphone" | "speaker";

const LABELS: Record<DeviceKind, string> = { camera: "Camera", microphone: "Microphone", speaker: "Speaker" };

interface Picker {
  kind: DeviceKind;
  options: DeviceOption[];
  value?: string;
  choose: (deviceId: string) => void;
}

export function DeviceSettings({ room }: { room: MeetingController }) {
  const d = room.devices.value;
  const pickers: Picker[] = [
    { kind: "camera", options: d.cameras, value: room.camId.value, choose: (id) => room.chooseCamera(id) },
    { kind: "microphone", options: d.microphones, value: room.micId.value, choose: (id) => room.chooseMicrophone(id) },
    { kind: "speaker", options: d.speakers, value: room.speakerId.value, choose: (id) => room.chooseSpeaker(id) },
  ];
  // Without setSinkId the browser plays through the system's speaker: there is nothing to choose.
  const shown = room.speakerSelectable.value ? pickers : pickers.filter((p) => p.kind !== "speaker");
  return <div class="room-devices">{shown.map((p) => <DevicePicker key={p.kind} {...p} />)}</div>;
}

function DevicePicker({ kind, options, value, choose }: Picker) {
  const id = `room-device-${kind}`;
  return (
    <div class="room-device">
      <label for={id}>{LABELS[kind]}</label>
      <select
        id={id}
        name={kind}
        disabled={options.length === 0}
        value={value ?? ""}
        onChange={(e) => choose((e.currentTarget as HTMLSelectElement).value)}
      >
        {options.length === 0 && <option value="">None found</option>}
        {options.map((o) => <option key={o.deviceId} value={o.deviceId}>{o.label}</option>)}
      </select>
    </div>
  );
}
