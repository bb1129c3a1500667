// The accounts area's messages (keys "accounts.…"); see lib/i18n/area.ts. Empty until its pages move here.

import { defineArea } from "../area.ts";

export const accounts = defineArea({}, { de: {}, es: {}, ar: {} });
