// Device pickers (camera, microphone, speaker when the browser can choose one), used on the
// pre-join screen and in the meeting's settings panel.

import type { MeetingController } from "../../lib/meetings/client/controller.ts";
import type { DeviceOption } from "../../lib/meetings/client/devices.ts";

export function DeviceSettings({ room }: { room: MeetingController }) {
  const d = room.devices.value;
  return (
    <div class="room-devices">
      <DevicePicker
        label="Camera"
        name="camera"
        options={d.cameras}
        value={room.camId.value}
        onChange={(id) => room.chooseCamera(id)}
      />
      <DevicePicker
        label="Microphone"
        name="microphone"
        options={d.microphones}
        value={room.micId.value}
        onChange={(id) => room.chooseMicrophone(id)}
      />
      {room.speakerSelectable.value && (
        <DevicePicker
          label="Speaker"
          name="speaker"
          options={d.speakers}
          value={room.speakerId.value}
          onChange={(id) => room.chooseSpeaker(id)}
        />
      )}
    </div>
  );
}

function DevicePicker(
  { label, name, options, value, onChange }: {
    label: string;
    name: string;
    options: DeviceOption[];
    value?: string;
    onChange: (deviceId: string) => void;
  },
) {
  const id = `room-device-${name}`;
  return (
    <div class="room-device">
      <label for={id}>{label}</label>
      <select
        id={id}
        name={name}
        disabled={options.length === 0}
        value={value ?? ""}
        onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value)}
      >
        {options.length === 0 && <option value="">None found</option>}
        {options.map((o) => <option key={o.deviceId} value={o.deviceId}>{o.label}</option>)}
      </select>
    </div>
  );
}
