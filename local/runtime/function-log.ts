import { createWriteStream } from 'node:fs';

/**
 * `<data>/logs/functions.log`: what the functions write to stdout and stderr, one JSON object per
 * line, each naming its function and stream. A line the function wrote as JSON (Powertools'
 * Logger) keeps its own fields; any other line becomes `"message"`:
 *
 *   {"function":"storeflow-dev-app-Receive…","stream":"stdout","level":"INFO","message":"accepted",…}
 *   {"function":"storeflow-dev-app-Receive…","stream":"stderr","message":"plain text"}
 *
 * Sandboxes hand over what was written, in chunks that need not end at a line boundary, so the
 * text is buffered per function and stream until its newline (or until the log closes).
 */
export interface FunctionLog {
  /** The `onLog` of one function's sandboxes. */
  writer(functionName: string): (stream: 'stdout' | 'stderr', text: string) => void;
  /** Writes what is still buffered (a last line without its newline) and closes the file. */
  close(): Promise<void>;
}

export interface FunctionLogOptions {
  /** Called for each line that reports an error (level ERROR/CRITICAL, or an uncaught error). */
  readonly onErrorLine?: (functionName: string, line: string) => void;
}

/** A line longer than this is written as it stands rather than buffered further. */
const MAX_LINE = 256 * 1024;

const ERROR_LINE = /"level":"(ERROR|CRITICAL)"|^\s*(Error|TypeError|RangeError)\b/;

/** One line of a function's output as the log's JSON record (without the newline). */
export function formatRecord(functionName: string, stream: 'stdout' | 'stderr', line: string): string {
  const own = { function: functionName, stream };
  if (line.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(line);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
        // the function's own fields, in their order, after ours; ours win a clash
        return JSON.stringify(Object.assign({ ...own }, parsed, own));
      }
    } catch {
      // not JSON after all: a message
    }
  }
  return JSON.stringify({ ...own, message: line });
}

export function openFunctionLog(file: string, options: FunctionLogOptions = {}): FunctionLog {
  const out = createWriteStream(file, { flags: 'a', mode: 0o600 });
  const pending = new Map<string, { fn: string; stream: 'stdout' | 'stderr'; text: string }>();
  let closed = false;

  const emit = (fn: string, stream: 'stdout' | 'stderr', raw: string) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    out.write(`${formatRecord(fn, stream, line)}\n`);
    if (ERROR_LINE.test(line)) options.onErrorLine?.(fn, line);
  };

  return {
    writer(fn) {
      return (stream, text) => {
        if (closed) return;
        const key = `${stream}\0${fn}`;
        const buffer = pending.get(key) ?? { fn, stream, text: '' };
        buffer.text += text;
        const lines = buffer.text.split('\n');
        buffer.text = lines.pop()!;
        for (const line of lines) emit(fn, stream, line);
        if (buffer.text.length > MAX_LINE) {
          emit(fn, stream, buffer.text);
          buffer.text = '';
        }
        if (buffer.text) pending.set(key, buffer);
        else pending.delete(key);
      };
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      for (const { fn, stream, text } of pending.values()) emit(fn, stream, text);
      pending.clear();
      return new Promise<void>((resolve) => out.end(resolve));
    },
  };
}
