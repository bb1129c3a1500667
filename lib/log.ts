// Structured logging with a per-module prefix; values named like secrets are redacted.

// "code" only at the end of a name (code, totpCode, recoveryCodes): "codec" is not a secret.
const SECRET_KEYS = /pass(word|code)?|secret|token|codes?$|cookie|authorization/i;

export function redact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = SECRET_KEYS.test(k) ? "[redacted]" : v;
  return out;
}

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

let quiet = Deno.env.get("TALKSPACE_LOG") === "quiet";

/** Silences info lines (tests set this so their output stays readable). */
export function setQuiet(value: boolean) {
  quiet = value;
}

export function logger(prefix: string): Logger {
  const line = (level: string, msg: string, fields?: Record<string, unknown>) =>
    `${new Date().toISOString()} ${level} [${prefix}] ${msg}${fields ? " " + JSON.stringify(redact(fields)) : ""}`;
  return {
    info: (msg, fields) => {
      if (!quiet) console.log(line("INFO", msg, fields));
    },
    warn: (msg, fields) => console.warn(line("WARN", msg, fields)),
    error: (msg, fields) => console.error(line("ERROR", msg, fields)),
  };
}
