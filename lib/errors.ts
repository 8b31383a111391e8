/**
 * The project's one error type. Every failure that crosses a module boundary carries a stable `code` (for
 * logs, metrics and tests) and, where it wraps something, the original `cause`.
 */
export class PullwatchError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
