/**
 * Feedback for long operations (snapshot save and restore, a join that waits for the leader):
 * a progress bar or a spinner when standard error is a terminal, and otherwise one plain line
 * when the work starts and one when it ends, so logs of scripted runs stay readable.
 */
import cliProgress from 'cli-progress';

import type { CliIo } from './io.js';

export interface ByteProgress {
  /** Reports `done` bytes out of `total` (unknown until the server says). */
  update(done: number, total: number | undefined): void;
  /** Ends the bar and prints `message` as a plain line. */
  finish(message: string): void;
  /** Ends the bar without a message (the command failed). */
  abandon(): void;
}

/** A byte counter drawn as a bar on a terminal, two plain lines elsewhere. */
export function byteProgress(io: CliIo, label: string): ByteProgress {
  const stream = io.progressStream;
  if (stream === undefined) {
    io.stderr(`${label}...\n`);
    return {
      update: () => undefined,
      finish: (message) => io.stderr(`${message}\n`),
      abandon: () => undefined,
    };
  }

  const bar = new cliProgress.SingleBar({
    stream,
    format: `${label} [{bar}] {percentage}% | {value}/{total} bytes`,
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  const stop = (): void => {
    if (started) bar.stop();
    started = false;
  };
  return {
    update(done, total) {
      const size = total ?? Math.max(done, 1);
      if (!started) {
        bar.start(size, done);
        started = true;
      } else {
        bar.setTotal(size);
        bar.update(done);
      }
    },
    finish(message) {
      stop();
      io.stderr(`${message}\n`);
    },
    abandon: stop,
  };
}

const SPINNER = ['|', '/', '-', '\\'];

/**
 * Runs `work` with a spinner after `label` on a terminal, or a plain line before it elsewhere.
 * Resolves or rejects as `work` does.
 */
export async function withSpinner<T>(io: CliIo, label: string, work: Promise<T>): Promise<T> {
  const stream = io.progressStream;
  if (stream === undefined) {
    io.stderr(`${label}...\n`);
    return work;
  }
  let frame = 0;
  const draw = (): void => {
    stream.write(`\r${label} ${SPINNER[frame % SPINNER.length]}`);
    frame++;
  };
  draw();
  const timer = setInterval(draw, 120);
  timer.unref();
  try {
    return await work;
  } finally {
    clearInterval(timer);
    stream.write(`\r${' '.repeat(label.length + 2)}\r`);
  }
}
