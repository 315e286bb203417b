// Structured logs: one JSON object a line, {"ts","level","msg",...fields}, to a writable (stderr by
// default). Every field goes through redact() first, so Secret data, passwords, tokens, keys and
// database URIs are never printed, however deep they sit in a logged object.

export type Level = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type Fields = Record<string, unknown>;

export interface Writable {
  write(line: string): unknown;
}

export interface LoggerOptions {
  /** The lowest level written (default info). */
  level?: Level;
  /** Where lines go (default process.stderr). */
  stream?: Writable;
  /** Fields on every line. */
  fields?: Fields;
  /** The timestamp source (tests). */
  now?: () => Date;
}

export const REDACTED = '[REDACTED]';

// Key names whose values are never printed: substrings (password, secret, token, key, psk, DB URI,
// credential, private, cookie; auth/authorization at the end) anywhere in the name, in any case and spelling (dbUri, DB_URI, db-uri), and
// whole names for Secret and ConfigMap payloads (data, stringData, binaryData).
const SENSITIVE_SUBSTRING = /passw|passphrase|pwd|secret|token|key|psk|db[-_]?uri|credential|private|auth(orization)?$|cookie/i;
const SENSITIVE_EXACT = /^(data|stringdata|binarydata)$/i;
const RESERVED = new Set(['ts', 'level', 'msg']);
const MAX_DEPTH = 12;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_EXACT.test(key) || SENSITIVE_SUBSTRING.test(key);
}

/** Credentials inside URLs (postgresql://user:pass@host) are masked in any string. */
function maskUrlCredentials(s: string): string {
  return s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]*@/gi, `$1${REDACTED}@`);
}

/**
 * A copy of `value` safe to print: values under sensitive keys become "[REDACTED]" (recursively, in
 * objects and arrays), URL credentials in strings are masked, Errors become plain objects, cycles
 * become "[Circular]". The input is not modified.
 */
export function redact(value: unknown): unknown {
  return redactValue(value, new WeakSet(), 0);
}

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return maskUrlCredentials(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.constructor.name} ${(value as Uint8Array).byteLength} bytes]`;
  if (value instanceof Date) return isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactValue(v, seen, depth + 1));
    const out: Fields = {};
    if (value instanceof Error) {
      out.name = value.name;
      out.message = maskUrlCredentials(value.message);
      if (value.stack) out.stack = maskUrlCredentials(value.stack);
    }
    const entries: [string, unknown][] = value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Object.entries(value);
    for (const [k, v] of entries) {
      if (v === undefined) continue;
      out[k] = isSensitiveKey(k) ? REDACTED : redactValue(v, seen, depth + 1);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

export class Logger {
  private readonly threshold: number;
  private readonly stream: Writable;
  private readonly now: () => Date;

  constructor(private readonly options: LoggerOptions = {}) {
    this.threshold = LEVELS[options.level ?? 'info'];
    this.stream = options.stream ?? process.stderr;
    this.now = options.now ?? (() => new Date());
  }

  /** A logger adding `fields` to every line (on top of this one's). */
  child(fields: Fields): Logger {
    return new Logger({ ...this.options, fields: { ...this.options.fields, ...fields } });
  }

  enabled(level: Level): boolean {
    return LEVELS[level] >= this.threshold;
  }

  debug(msg: string, fields?: Fields): void {
    this.log('debug', msg, fields);
  }

  info(msg: string, fields?: Fields): void {
    this.log('info', msg, fields);
  }

  warn(msg: string, fields?: Fields): void {
    this.log('warn', msg, fields);
  }

  error(msg: string, fields?: Fields): void {
    this.log('error', msg, fields);
  }

  log(level: Level, msg: string, fields?: Fields): void {
    if (!this.enabled(level)) return;
    const line: Fields = { ts: this.now().toISOString(), level, msg: maskUrlCredentials(msg) };
    const merged = redact({ ...this.options.fields, ...fields }) as Fields;
    for (const [k, v] of Object.entries(merged)) {
      // The first three keys stay what they are; a field named like them is kept under a prefix.
      line[RESERVED.has(k) ? `field.${k}` : k] = v;
    }
    let text: string;
    try {
      text = JSON.stringify(line);
    } catch (err) {
      text = JSON.stringify({ ts: line.ts, level, msg: line.msg, logError: String(err) });
    }
    try {
      this.stream.write(text + '\n');
    } catch {
      // Nowhere left to report it.
    }
  }
}

export function parseLevel(value: string | undefined, fallback: Level = 'info'): Level {
  const v = value?.trim().toLowerCase();
  return v && v in LEVELS ? (v as Level) : fallback;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return new Logger(options);
}

/** A logger that writes nothing (the default of the runtime pieces). */
export const silentLogger = new Logger({ stream: { write: () => undefined }, level: 'error' });
