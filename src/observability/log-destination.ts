import { Buffer } from 'node:buffer';
import pino, { type DestinationStream } from 'pino';

/** The part of sonic-boom's buffer mode used here: it takes bytes, which its typings do not say. */
interface ByteSink {
  write(bytes: Buffer): boolean;
  flush(callback?: (error?: Error) => void): void;
}

/**
 * stdout for the JSON log lines: pino's own asynchronous destination (sonic-boom: one write at a
 * time, flushed on exit, silent after EPIPE) in its buffer mode, each line handed over as bytes.
 *
 * In its default text mode sonic-boom appends each line to the text still waiting to be written
 * and measures that whole text again on every line, which copies it: under load, with the previous
 * write still in progress, several KB of garbage per line. In buffer mode it keeps the lines as they
 * came and counts their lengths, and joins them once per write (`npm run bench`, docs/performance.md).
 */
export function stdoutLogDestination(): DestinationStream & Pick<ByteSink, 'flush'> {
  const sink = pino.destination({ dest: 1, sync: false, contentMode: 'buffer' }) as unknown as ByteSink;
  return {
    write(line: string) {
      sink.write(Buffer.from(line));
    },
    flush(callback?: (error?: Error) => void) {
      sink.flush(callback);
    },
  };
}
