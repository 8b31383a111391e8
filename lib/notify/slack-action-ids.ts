/**
 * The buttons' action_ids: the contract between the message builder and the click parser. The snooze length
 * rides in the action_id so the button `value` carries only the incident key.
 */
export type IncidentAction = 'acknowledge' | 'snooze' | 'resolve';

export const ACKNOWLEDGE_ACTION_ID = 'pullwatch_acknowledge';
export const RESOLVE_ACTION_ID = 'pullwatch_resolve';
const SNOOZE_PREFIX = 'pullwatch_snooze_';

/** 1 h, 4 h, 24 h. */
export const DEFAULT_SNOOZE_SECONDS: readonly number[] = [3_600, 14_400, 86_400];
/** A snooze longer than a week hides a broken deployment; the parser refuses it even from a signed click. */
export const MAX_SNOOZE_SECONDS = 7 * 86_400;
export const MIN_SNOOZE_SECONDS = 60;

export function snoozeActionId(seconds: number): string {
  return `${SNOOZE_PREFIX}${seconds}`;
}

export function parseActionId(actionId: string): { action: IncidentAction; snoozeSeconds?: number } | null {
  if (actionId === ACKNOWLEDGE_ACTION_ID) return { action: 'acknowledge' };
  if (actionId === RESOLVE_ACTION_ID) return { action: 'resolve' };
  if (actionId.startsWith(SNOOZE_PREFIX)) {
    const digits = actionId.slice(SNOOZE_PREFIX.length);
    if (!/^[1-9][0-9]{1,6}$/.test(digits)) return null;
    const seconds = Number(digits);
    if (seconds < MIN_SNOOZE_SECONDS || seconds > MAX_SNOOZE_SECONDS) return null;
    return { action: 'snooze', snoozeSeconds: seconds };
  }
  return null;
}
