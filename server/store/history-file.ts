/**
 * The file under the call history: the few operations CallHistory needs, so the batching logic can be
 * tested on a fake clock with an in-memory file and the real one does its I/O off the event loop.
 * Appends open the file for each batch (no descriptor stays open, so an atomic replace never leaves
 * a stale one behind); `sync` fsyncs through a fresh descriptor, which flushes the file's data whoever
 * wrote it (POSIX fsync is per file, not per descriptor).
 */
import { appendFileSync, closeSync, fsyncSync, openSync, readFileSync } from 'node:fs';
import { appendFile, open } from 'node:fs/promises';
import { writeFileAtomicAsync } from './atomic-file.js';

export interface HistoryFile {
  readonly path: string;
  /** The whole file, or undefined when there is none yet. Runs once, at start-up. */
  readAll(): string | undefined;
  append(text: string): Promise<void>;
  sync(): Promise<void>;
  /** Replace the whole content atomically (a reader sees the old or the new file, never a mix). */
  replace(text: string): Promise<void>;
  /** Append and fsync before returning: only for records that arrive after close(). */
  appendSync(text: string): void;
}

export function diskHistoryFile(path: string): HistoryFile {
  return {
    path,
    readAll() {
      try {
        return readFileSync(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },
    append: (text) => appendFile(path, text, { mode: 0o600 }),
    async sync() {
      const fh = await open(path, 'a', 0o600);
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    },
    replace: (text) => writeFileAtomicAsync(path, text),
    appendSync(text) {
      const fd = openSync(path, 'a', 0o600);
      try {
        appendFileSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    },
  };
}
