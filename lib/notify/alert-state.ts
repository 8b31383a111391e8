import type { Cause } from '../classify/causes.ts';
import type { Diagnosis } from '../diagnose/types.ts';
import { PullwatchError } from '../errors.ts';
import type { IncidentRecord, IncidentState } from '../incidents/types.ts';
import type { PostedMessage } from './port.ts';
import { effectiveCause } from './severity.ts';

/**
 * What notify remembers about an incident's alert, beside the incident record: the registry diagnosis (kept
 * out of the record because the record is rewritten on every ingest batch and paid for per KiB), every
 * Slack message of the alert (one per routed channel; the record keeps only the first), the state the alert
 * last showed (to tell what is news: reopened, cause changed, reminder, snooze ended, resolved) and a
 * journal of the deliveries already made for that news, so a retry never repeats a thread reply or an SNS
 * publish that went out.
 *
 * Only the sender holding the incident's notification claim writes it; writes are still conditional on
 * `version` so a takeover race cannot lose a message reference.
 */
export interface AlertShown {
  state: IncidentState;
  /** The cause the alert named (the registry's verdict when there was one). */
  cause: Cause;
  openedAt: string;
  remindedAt: string | null;
  snoozedUntil: string | null;
}

export interface AlertState {
  key: string;
  diagnosis: Diagnosis | null;
  /** What the diagnosis was made for (`diagnosisSubject`): a new episode, cause or image asks for a new one. */
  diagnosedFor: string | null;
  diagnosedAt: string | null;
  /** The alert's top-level Slack messages, one per channel. */
  messages: PostedMessage[];
  /** The episode (`openedAt`) the messages were posted for: a recurrence after the reopen window posts anew. */
  episode: string | null;
  /** The incident as the alert last showed it in full; null before the first complete delivery. */
  shown: AlertShown | null;
  /** `<news id>><target>` entries delivered since `shown` was last advanced. */
  done: string[];
  /** 0 = not stored yet; every save increments it. */
  version: number;
  /** Epoch seconds; follows the incident's retention. */
  expiresAt: number;
}

export interface AlertStateStore {
  get(key: string): Promise<AlertState | null>;
  /** Writes `next` if the stored version is still `next.version - 1` (absent for 1); false when it changed. */
  save(next: AlertState): Promise<boolean>;
  /**
   * Remembers a one-time id (a Slack request's signature) until `expiresAt` (epoch seconds); false when it was
   * seen before and has not expired at `now` (epoch ms).
   */
  claimNonce(id: string, window: { now: number; expiresAt: number }): Promise<boolean>;
  close(): Promise<void>;
}

export class AlertStateError extends PullwatchError {
  override readonly name: string = 'AlertStateError';
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(code, message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}

export function emptyAlertState(key: string): AlertState {
  return {
    key,
    diagnosis: null,
    diagnosedFor: null,
    diagnosedAt: null,
    messages: [],
    episode: null,
    shown: null,
    done: [],
    version: 0,
    expiresAt: 0,
  };
}

/** The image a diagnosis checks: the workload's, or for a registry incident the first affected one. */
export function diagnosedImage(incident: IncidentRecord): string | null {
  return incident.image ?? incident.affected[0]?.image ?? null;
}

/** A diagnosis holds for one episode, kubelet cause and image; any change asks for a fresh check. */
export function diagnosisSubject(incident: IncidentRecord): string {
  return `${incident.openedAt}|${incident.cause}|${diagnosedImage(incident) ?? ''}`;
}

export function shownOf(incident: IncidentRecord, diagnosis: Diagnosis | null): AlertShown {
  return {
    state: incident.state,
    cause: effectiveCause(incident, diagnosis),
    openedAt: incident.openedAt,
    remindedAt: incident.remindedAt,
    snoozedUntil: incident.snoozedUntil,
  };
}

/**
 * The existing top-level messages to update, or none when the alert must be posted (anew). The record's own
 * reference wins for its channel; a record without one means nothing was completely posted for this episode,
 * so only messages posted for this very episode (by a sender that died before recording) count.
 */
export function currentMessages(incident: IncidentRecord, state: AlertState | null): PostedMessage[] {
  const stored = state?.messages ?? [];
  if (incident.slack === null) return state?.episode === incident.openedAt ? stored : [];
  const primary = incident.slack;
  return [primary, ...stored.filter((m) => m.channel !== primary.channel)];
}

/** Adds a posted message; the first reference per channel sticks (two racing senders: updates go to one). */
export function withMessage(state: AlertState, episode: string, message: PostedMessage): AlertState {
  const messages = state.episode === episode ? state.messages : [];
  if (messages.some((m) => m.channel === message.channel)) return { ...state, episode, messages };
  return { ...state, episode, messages: [...messages, message] };
}

const MAX_DONE = 200;

export function withDone(state: AlertState, entry: string): AlertState {
  if (state.done.includes(entry)) return state;
  return { ...state, done: [...state.done, entry].slice(-MAX_DONE) };
}

/** The alert now shows `shown` everywhere: news is measured from here on and the journal starts over. */
export function withShown(state: AlertState, shown: AlertShown): AlertState {
  return { ...state, shown, done: [] };
}
