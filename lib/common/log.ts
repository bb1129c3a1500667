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

/** One log line as a test sees it: fields already redacted. */
export interface LogRecord {
  level: "info" | "warn" | "error";
  prefix: string;
  msg: string;
  fields: Record<string, unknown>;
}

let sink: ((record: LogRecord) => void) | null = null;

/** Test hook: every line (info too, even when quiet) also goes to `fn`; null removes it. */
export function setLogSink(fn: ((record: LogRecord) => void) | null) {
  sink = fn;
}

export function logger(prefix: string): Logger {
  const line = (level: LogRecord["level"], msg: string, fields?: Record<string, unknown>) => {
    const safe = fields ? redact(fields) : undefined;
    sink?.({ level, prefix, msg, fields: safe ?? {} });
    return `${new Date().toISOString()} ${level.toUpperCase()} [${prefix}] ${msg}${
      safe ? " " + JSON.stringify(safe) : ""
    }`;
  };
  return {
    info: (msg, fields) => {
      if (quiet && !sink) return;
      const text = line("info", msg, fields);
      if (!quiet) console.log(text);
    },
    warn: (msg, fields) => console.warn(line("warn", msg, fields)),
    error: (msg, fields) => console.error(line("error", msg, fields)),
  };
}
