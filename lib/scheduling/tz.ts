// Time zones from the runtime's Intl data: wall-clock ↔ UTC conversion and DST transitions, from
// which lib/scheduling/ics.ts writes VTIMEZONEs (ical.js ships no time zone database of its own).

/** A wall-clock time without a zone (what a person types: date and time in their time zone). */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/** True when the runtime knows `zone` as an IANA time zone name. */
export function isValidTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Every time zone the runtime knows, for the schedule form's select. */
export function timeZoneNames(): string[] {
  const names = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone");
  const list = names?.length ? [...names] : ["UTC"];
  if (!list.includes("UTC")) list.unshift("UTC");
  return list;
}

/** The wall-clock time in `zone` at the instant `ms` (from the cached offsets). */
export function toLocal(zone: string, ms: number): LocalTime {
  return toLocalWithOffset(ms, offsetMinutes(zone, ms));
}

/** The wall-clock time straight from Intl (slow; the source of every cached offset). */
function intlLocal(zone: string, ms: number): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(ms))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour === 24 ? 0 : parts.hour,
    minute: parts.minute,
    second: parts.second,
  };
}

function localAsUtcMs(t: LocalTime): number {
  const d = new Date(Date.UTC(2000, t.month - 1, t.day, t.hour, t.minute, t.second));
  d.setUTCFullYear(t.year); // Date.UTC maps years 0–99 to 1900s; set the year separately
  return d.getTime();
}

/** The offset straight from Intl (slow: one formatToParts per call). */
function intlOffsetMinutes(zone: string, ms: number): number {
  const local = localAsUtcMs(intlLocal(zone, ms));
  return Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000);
}

const yearStartOffset = new Map<string, number>();

/**
 * The UTC offset of `zone` at the instant `ms`, in minutes east of UTC. Answered from the zone's
 * cached transitions for that year (Intl is asked once per zone and year), which keeps feeds fast.
 */
export function offsetMinutes(zone: string, ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  if (!Number.isFinite(year)) return intlOffsetMinutes(zone, ms);
  const key = `${zone} ${year}`;
  let offset = yearStartOffset.get(key);
  if (offset === undefined) {
    offset = intlOffsetMinutes(zone, Date.UTC(year, 0, 1));
    yearStartOffset.set(key, offset);
  }
  for (const t of transitionsInYear(zone, year)) {
    if (t.atMs > ms) break;
    offset = t.toOffset;
  }
  return offset;
}

/**
 * The instant a wall-clock time in `zone` names. A time skipped by a spring-forward change is read
 * with the offset before the change (RFC 5545 §3.3.5), e.g. 02:30 on the March change in New York
 * becomes 03:30 EDT; a repeated fall-back time means its first occurrence.
 */
export function toUtcMs(zone: string, t: LocalTime): number {
  const asUtc = localAsUtcMs(t);
  // The offset a few hours either side of the guess covers both candidate offsets near a change.
  const before = offsetMinutes(zone, asUtc - 12 * 3_600_000);
  const after = offsetMinutes(zone, asUtc + 12 * 3_600_000);
  const candidates = before === after ? [before] : [before, after];
  for (const off of candidates) {
    const ms = asUtc - off * 60_000;
    if (offsetMinutes(zone, ms) === off) return ms;
  }
  return asUtc - before * 60_000; // in a gap: the offset from before the change
}

/** Formats a wall-clock time as `YYYY-MM-DDTHH:MM:SS` (no offset). */
export function formatLocal(t: LocalTime): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(t.year, 4)}-${p(t.month)}-${p(t.day)}T${p(t.hour)}:${p(t.minute)}:${p(t.second)}`;
}

/** Parses `YYYY-MM-DDTHH:MM[:SS]` as a real calendar date and time, or returns null. */
export function parseLocal(s: string): LocalTime | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(s.trim());
  if (!m) return null;
  const t: LocalTime = {
    year: +m[1],
    month: +m[2],
    day: +m[3],
    hour: +m[4],
    minute: +m[5],
    second: m[6] ? +m[6] : 0,
  };
  if (t.month < 1 || t.month > 12 || t.hour > 23 || t.minute > 59 || t.second > 59 || t.day < 1) return null;
  const daysInMonth = new Date(Date.UTC(t.year, t.month, 0)).getUTCDate();
  if (t.day > daysInMonth || t.year < 1971 || t.year > 2200) return null;
  return t;
}

export interface Transition {
  /** The instant of the change. */
  atMs: number;
  fromOffset: number;
  toOffset: number;
}

const transitionCache = new Map<string, Transition[]>();

/** The offset changes of `zone` during calendar year `year` (cached; found by bisection to the minute). */
export function transitionsInYear(zone: string, year: number): Transition[] {
  const cacheKey = `${zone} ${year}`;
  const cached = transitionCache.get(cacheKey);
  if (cached) return cached;
  const out: Transition[] = [];
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const step = 2 * 86_400_000; // zones never change offset twice within two days
  let prevMs = start;
  let prevOff = intlOffsetMinutes(zone, start);
  for (let ms = start + step; prevMs < end; ms = Math.min(ms + step, end)) {
    const off = intlOffsetMinutes(zone, ms);
    if (off !== prevOff) {
      let lo = prevMs;
      let hi = ms;
      while (hi - lo > 60_000) {
        const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
        if (intlOffsetMinutes(zone, mid) === prevOff) lo = mid;
        else hi = mid;
      }
      out.push({ atMs: hi, fromOffset: prevOff, toOffset: off });
    }
    prevMs = ms;
    prevOff = off;
    if (ms === end) break;
  }
  transitionCache.set(cacheKey, out);
  return out;
}

const abbreviationFormatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's short name at the instant `ms` ("EST", "CEST", "GMT+9"), for VTIMEZONE TZNAMEs. */
export function zoneAbbreviation(zone: string, ms: number): string {
  let f = abbreviationFormatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" });
    abbreviationFormatters.set(zone, f);
  }
  return f.formatToParts(new Date(ms)).find((p) => p.type === "timeZoneName")?.value ?? zone;
}

/** The wall-clock time at the instant `ms` for a known offset (minutes east of UTC). */
export function toLocalWithOffset(ms: number, offset: number): LocalTime {
  const d = new Date(ms + offset * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}
