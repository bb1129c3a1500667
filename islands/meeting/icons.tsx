// The meeting's icons: Lucide's icon data (the `lucide` package: SVG element lists, no framework),
// drawn as inline SVG by one small component. Named imports only, so the bundle keeps just these.
// Icons are decoration: the button around them carries the accessible name.

import {
  ChevronUp,
  CircleDot,
  Hand,
  Info,
  LayoutGrid,
  Lock,
  MessageSquare,
  Mic,
  MicOff,
  MonitorUp,
  PanelTop,
  PhoneOff,
  Settings,
  SmilePlus,
  SwitchCamera,
  Users,
  Video,
  VideoOff,
  Volume2,
  X,
} from "lucide";
import type { IconNode } from "lucide";

const ICONS = {
  mic: Mic,
  "mic-off": MicOff,
  video: Video,
  "video-off": VideoOff,
  screen: MonitorUp,
  hand: Hand,
  react: SmilePlus,
  grid: LayoutGrid,
  speaker: PanelTop,
  people: Users,
  chat: MessageSquare,
  settings: Settings,
  info: Info,
  leave: PhoneOff,
  more: ChevronUp,
  lock: Lock,
  close: X,
  volume: Volume2,
  flip: SwitchCamera,
  record: CircleDot,
} satisfies Record<string, IconNode>;

export type IconName = keyof typeof ICONS;

export function Icon({ name }: { name: IconName }) {
  return (
    <svg
      class="room-icon"
      viewBox="0 0 24 24"
      width="20"
      height="20"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {ICONS[name].map(([tag, attrs], i) => {
        const Tag = tag as "path";
        return <Tag key={i} {...(attrs as Record<string, string>)} />;
      })}
    </svg>
  );
}
