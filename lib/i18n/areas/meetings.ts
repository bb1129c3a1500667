// The meetings area's messages (keys "meetings.…"); see lib/i18n/area.ts. Empty until its pages move here.

import { defineArea } from "../area.ts";

export const meetings = defineArea({}, { de: {}, es: {}, ar: {} });
