/**
 * Thrown by a linearizability check when the history itself is malformed (a call time that is not
 * a finite number, a return before its call, a key that is not a string), which is a bug in the
 * harness that recorded it rather than in the system under test.
 */
export class HistoryError extends Error {
  readonly code = 'invalid_history';

  constructor(
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}
