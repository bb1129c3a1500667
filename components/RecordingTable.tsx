// A list of recordings as a table (the Recordings page, a meeting's page): title, when, length,
// size, state (processing with its %, failed with its reason) and what can be done with each.

import { usePage } from "../lib/web/page_context.ts";
import type { Recording } from "../lib/recordings/store.ts";
import type { Locale, Translate } from "../lib/i18n/client.ts";
import { intlLocale } from "../lib/i18n/intl.ts";
import { durationText } from "./ScheduleFields.tsx";
import { LocalTime } from "./LocalTime.tsx";
import { TableHead } from "./TableHead.tsx";

const UNITS = ["byte", "kilobyte", "megabyte", "gigabyte", "terabyte"] as const;

/** Bytes in the page's language: "1.4 GB", "820 kB" (Intl unit formatting, powers of 1000). */
export function formatBytes(bytes: number, locale: Locale): string {
  let i = 0;
  let n = bytes;
  while (n >= 1000 && i < UNITS.length - 1) {
    n /= 1000;
    i++;
  }
  return new Intl.NumberFormat(intlLocale(locale), {
    style: "unit",
    unit: UNITS[i],
    unitDisplay: "short",
    maximumFractionDigits: n < 10 && i > 0 ? 1 : 0,
  }).format(n);
}

/** The state in words: processing carries its percentage, failed its reason. */
export function stateText(t: Translate, r: Recording, locale: Locale): string {
  switch (r.state) {
    case "recording":
      return t("recordings.state.recording");
    case "processing":
      return t("recordings.state.processing", {
        percent: new Intl.NumberFormat(intlLocale(locale), { style: "percent" }).format(r.progress / 100),
      });
    case "ready":
      return t("recordings.state.ready");
    case "failed":
      return t("recordings.state.failed", { reason: r.reason ?? "" });
  }
}

export function RecordingTable({ recordings }: { recordings: Recording[] }) {
  const { t, locale } = usePage();
  const col = {
    title: t("recordings.col.title"),
    date: t("recordings.col.date"),
    duration: t("recordings.col.duration"),
    size: t("recordings.col.size"),
    state: t("recordings.col.state"),
    actions: t("recordings.col.actions"),
  };
  return (
    <table class="recordings stack-narrow">
      <TableHead columns={[col.title, col.date, col.duration, col.size, col.state, col.actions]} />
      <tbody>
        {recordings.map((r) => (
          <tr key={r.id} class={`recording-row recording-${r.state}`} data-recording-id={r.id}>
            <td data-label={col.title}>
              <a href={`/recordings/${r.id}`}>{r.title}</a>
            </td>
            <td data-label={col.date}>
              <LocalTime iso={r.startedAt} />
            </td>
            <td data-label={col.duration}>{r.durationSeconds !== null ? durationText(t, r.durationSeconds) : "—"}</td>
            <td data-label={col.size}>{r.sizeBytes !== null ? formatBytes(r.sizeBytes, locale) : "—"}</td>
            <td data-label={col.state} class="recording-state">{stateText(t, r, locale)}</td>
            <td data-label={col.actions}>
              <a href={`/recordings/${r.id}`}>
                {r.state === "ready" ? t("recordings.action.watch") : t("recordings.action.open")}
              </a>
              {r.state === "ready" && (
                <>
                  {" "}
                  <a href={`/recordings/${r.id}/file?download=1`} download>{t("recordings.action.download")}</a>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
