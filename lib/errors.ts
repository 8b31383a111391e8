/**
 * The project's one error type. Every failure that crosses a module boundary carries a stable `code` (for
 * logs, metrics and tests) and, where it wraps something, the original `cause`.
 */
export class PullwatchError extends Error {
  // Each subclass names itself: the Lambda bundles are minified without keepNames (it cost each ~14 KB), so a
  // class's own name would read "C" in a log; test/unit/error-names.test.ts holds every error class to this.
  override readonly name: string = 'PullwatchError';
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
