/**
 * The slice of a structured logger the forwarder uses. The Powertools logger (lib/runtime/logger.ts) fits
 * it; tests pass a recorder to assert what was logged.
 */
export interface ForwarderLogger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
