// Copies a value (API token, TOTP secret, meeting link) to the clipboard, with a manual fallback
// when the browser refuses clipboard access (plain http, denied permission, old browsers).

import { useEffect, useRef, useState } from "preact/hooks";
import type { Translate } from "../lib/i18n/client.ts";

/** What the button says besides its label, in the page's language (`copyWords`). */
export interface CopyWords {
  copied: string;
  /** The manual fallback's field, for screen readers. */
  field: string;
  /** Under the field when the browser refused the clipboard. */
  hint: string;
}

export interface CopyButtonProps {
  /** What gets copied. */
  text: string;
  /** The button's label before copying. */
  label: string;
  words: CopyWords;
}

/** The button's words in `t`'s language (the meeting island ships the copy.* messages too). */
export function copyWords(t: Translate): CopyWords {
  return { copied: t("copy.copied"), field: t("copy.field"), hint: t("copy.hint") };
}

type CopyState = "idle" | "copied" | "manual";

/** How long "Copied" stays on the button before it reverts to the label. */
export const COPIED_FOR_MS = 2000;

export default function CopyButton({ text, label, words }: CopyButtonProps) {
  // Server HTML has a disabled button: it can only copy once hydrated.
  const [ready, setReady] = useState(false);
  const [state, setState] = useState<CopyState>("idle");
  const field = useRef<HTMLInputElement>(null);
  const revert = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    setReady(true);
    return () => clearTimeout(revert.current);
  }, []);

  useEffect(() => {
    if (state === "manual" && field.current) {
      field.current.focus();
      field.current.select();
    }
  }, [state]);

  async function copy() {
    clearTimeout(revert.current);
    try {
      if (!navigator.clipboard) throw new Error("no clipboard API");
      await navigator.clipboard.writeText(text);
      setState("copied");
      revert.current = setTimeout(() => setState("idle"), COPIED_FOR_MS);
    } catch {
      setState("manual");
    }
  }

  return (
    <span class="copy-button">
      <button type="button" class="copy-button-action" disabled={!ready} onClick={copy}>
        {state === "copied" ? words.copied : label}
      </button>
      {state === "manual" && (
        <span class="copy-button-manual">
          <input
            ref={field}
            class="copy-button-field"
            type="text"
            readOnly
            value={text}
            aria-label={words.field}
            onFocus={(e) => e.currentTarget.select()}
          />
          <span class="copy-button-hint" role="status">{words.hint}</span>
        </span>
      )}
      <span class="visually-hidden" role="status" aria-live="polite">{state === "copied" ? words.copied : null}</span>
    </span>
  );
}
