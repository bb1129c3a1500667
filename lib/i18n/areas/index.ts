// Every catalog area besides the core (messages/*.ts): add an area's file here once.

import { accounts } from "./accounts.ts";
import { meetings } from "./meetings.ts";
import { mail } from "./mail.ts";
import { telephony } from "./telephony.ts";
import { recordings } from "./recordings.ts";

export const AREAS = [accounts, meetings, mail, telephony, recordings] as const;

type AreaKeys<A> = A extends { en: Record<infer K, string> } ? K : never;
/** Every key the areas define. */
export type AreaKey = AreaKeys<typeof AREAS[number]>;
