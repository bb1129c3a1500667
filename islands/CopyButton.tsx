// Copies a value (API token, TOTP secret, meeting link) to the clipboard, with a manual fallback
// when the browser refuses clipboard access (plain http, denied permission, old browsers).

import { useEffect, useRef, useState } from "preact/hooks";

export interface CopyButtonProps {
  /** What gets copied. */
  text: string;
  /** The button's label before copying; "Copy" by default. */
  label?: string;
}

type CopyState = "idle" | "copied" | "manual";

/** How long "Copied" stays on the button before it reverts to the label. */
export const COPIED_FOR_MS = 2000;

export default function CopyButton({ text, label = "Copy" }: CopyButtonProps) {
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
        {state === "copied" ? "Copied" : label}
      </button>
      {state === "manual" && (
        <span class="copy-button-manual">
          <input
            ref={field}
            class="copy-button-field"
            type="text"
            readOnly
            value={text}
            aria-label="Value to copy"
            onFocus={(e) => e.currentTarget.select()}
          />
          <span class="copy-button-hint" role="status">Press Ctrl+C to copy</span>
        </span>
      )}
      <span class="visually-hidden" role="status" aria-live="polite">{state === "copied" ? "Copied" : null}</span>
    </span>
  );
}
