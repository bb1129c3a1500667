// The mail area's messages (keys "mail.…"); see lib/i18n/area.ts. Empty until its pages move here.

import { defineArea } from "../area.ts";

export const mail = defineArea({}, { de: {}, es: {}, ar: {} });
