// Every island, registered explicitly: pages import the wrapped components from here, and
// scripts/build_islands.ts makes one bundle entry per island listed here.

import { defineIsland } from "../lib/web/islands/island.ts";
import { ROOM_PREFIXES } from "../lib/i18n/translate.ts";
import CopyButtonIsland from "./CopyButton.tsx";
import type { CopyButtonProps } from "./CopyButton.tsx";

export const CopyButton = defineIsland<CopyButtonProps>(
  "CopyButton",
  new URL("./CopyButton.tsx", import.meta.url),
  CopyButtonIsland,
);

import MeetingRoomIsland from "./MeetingRoom.tsx";
import type { MeetingRoomProps } from "./MeetingRoom.tsx";

// Its room.* (and copy.*) messages come in a per-language catalog chunk, not in the page.
export const MeetingRoom = defineIsland<MeetingRoomProps>(
  "MeetingRoom",
  new URL("./MeetingRoom.tsx", import.meta.url),
  MeetingRoomIsland,
  { catalog: ROOM_PREFIXES },
);

import PushSettingsIsland from "./PushSettings.tsx";
import type { PushSettingsProps } from "./PushSettings.tsx";

export const PushSettings = defineIsland<PushSettingsProps>(
  "PushSettings",
  new URL("./PushSettings.tsx", import.meta.url),
  PushSettingsIsland,
);

import RecordingProgressIsland from "./RecordingProgress.tsx";
import type { RecordingProgressProps } from "./RecordingProgress.tsx";

export const RecordingProgress = defineIsland<RecordingProgressProps>(
  "RecordingProgress",
  new URL("./RecordingProgress.tsx", import.meta.url),
  RecordingProgressIsland,
);
