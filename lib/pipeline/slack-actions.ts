import { errorMessage, PullwatchError } from '../errors.ts';
import { encodeNotice, noticeAttributes, noticeFor } from '../incidents/notice.ts';
import { applyTransition, iso, type Transition } from '../incidents/state.ts';
import type { IncidentStore, TransitionResult } from '../incidents/store.ts';
import type { IncidentRecord } from '../incidents/types.ts';
import { type AlertStateStore, diagnosisSubject } from '../notify/alert-state.ts';
import type { SlackMessage } from '../notify/block-kit.ts';
import type { SlackPort } from '../notify/port.ts';
import {
  parseSlackInteraction,
  type SlackClick,
  SlackInteractionError,
} from '../notify/slack-interaction.ts';
import { buildSlackMessage, userMention } from '../notify/slack-message.ts';
import { headerValue, SLACK_SIGNATURE_HEADER, verifySlackRequest } from '../notify/slack-signature.ts';
import { asReplacement, buildEphemeralNotice } from '../notify/slack-thread.ts';
import type { QueueSender } from '../queue/port.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { type MetricsSink, noMetrics } from '../runtime/metrics.ts';
import * as z from '../zod.ts';

/**
 * A click on an alert's Acknowledge, Snooze or Resolve button (Slack interactivity → API Gateway → here).
 * In this order, because a forged or replayed request must change nothing:
 * 1. verify Slack's signature over the raw bytes (timestamp within 5 minutes) — else 401;
 * 2. remember the signature as a one-time nonce — a byte-identical replay inside the window gets 401;
 * 3. parse the click — an unknown action or a malformed payload gets 400 with what is wrong;
 * 4. write the transition (conditional, with who and when) and, at the same time, update the clicked
 *    message to the state it leads to (`chat.update`, which keeps the message's metadata; the interaction's
 *    `response_url` when that fails) — Slack shows an error if the answer takes over 3 seconds;
 * 5. send the notice, so notify updates the alert's other messages and tells SNS.
 * A click that changes nothing (already resolved, someone else was faster) gets a note only the clicker sees.
 */
export interface HttpRequest {
  method: string;
  headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received. */
  body: Buffer;
}

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface SlackActionsDependencies {
  store: IncidentStore;
  alerts: AlertStateStore;
  /** The notices queue; null: the outbox entry waits for sweep. */
  notices: QueueSender | null;
  slack: SlackPort;
  signingSecret: string;
  clock: Clock;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  metrics?: MetricsSink;
  snoozeSeconds?: readonly number[];
}

export const slackActionsEnvSchema = z.object({
  INCIDENTS_TABLE: z.string().check(z.minLength(3)),
  /** Where the click's notice goes at once (other channels, SNS); without it sweep resends it within minutes. */
  NOTICES_QUEUE_URL: z.optional(z.url()),
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  SQS_ENDPOINT: z.optional(z.url()),
  SSM_ENDPOINT: z.optional(z.url()),
});

/** Slack's window is 5 minutes either way; a nonce must outlive any timestamp still accepted. */
const NONCE_SECONDS = 11 * 60;

export async function handleSlackAction(
  request: HttpRequest,
  deps: SlackActionsDependencies,
): Promise<HttpResponse> {
  const metrics = deps.metrics ?? noMetrics;
  if (request.method.toUpperCase() !== 'POST') {
    return json(405, { error: 'method_not_allowed', message: 'Slack interactivity requests are POSTs' });
  }
  const now = deps.clock();
  const verified = verifySlackRequest({
    signingSecret: deps.signingSecret,
    headers: request.headers,
    rawBody: request.body,
    now,
  });
  if (!verified.ok) {
    metrics.count('SlackRequestsRejected', 1, { reason: verified.reason });
    deps.logger.warn('slack request rejected', { reason: verified.reason, error: verified.message });
    return json(401, { error: verified.reason, message: verified.message });
  }
  const signature = headerValue(request.headers, SLACK_SIGNATURE_HEADER) ?? '';
  const fresh = await deps.alerts.claimNonce(signature.slice(3), {
    now,
    expiresAt: verified.timestamp + NONCE_SECONDS,
  });
  if (!fresh) {
    metrics.count('SlackRequestsRejected', 1, { reason: 'replayed' });
    deps.logger.warn('slack request rejected', { reason: 'replayed' });
    return json(401, { error: 'replayed', message: 'this request was already received' });
  }

  let click: SlackClick;
  try {
    click = parseSlackInteraction(request.body.toString('utf8'));
  } catch (error) {
    if (!(error instanceof SlackInteractionError)) throw error;
    metrics.count('SlackRequestsRejected', 1, { reason: error.code });
    deps.logger.warn('slack interaction not handled', { code: error.code, error: error.message });
    return json(400, { error: error.code, message: error.message });
  }
  const outcome = await applyClick(click, now, deps);
  metrics.count('SlackActions', 1, { action: click.action, outcome: outcome.outcome });
  deps.logger.info('slack action', {
    key: click.incidentKey,
    action: click.action,
    user: click.user.id,
    outcome: outcome.outcome,
    reason: outcome.reason,
  });
  // Slack reads nothing from the body of a block_actions answer; the message itself was updated.
  return { statusCode: 200, headers: {}, body: '' };
}

export function transitionOf(click: SlackClick, now: number): Transition {
  switch (click.action) {
    case 'acknowledge':
      return { type: 'acknowledge', by: click.user.id };
    case 'snooze':
      return { type: 'snooze', by: click.user.id, until: iso(now + (click.snoozeSeconds ?? 0) * 1000) };
    case 'resolve':
      return { type: 'resolve', by: `button:${click.user.id}` };
  }
}

async function applyClick(
  click: SlackClick,
  now: number,
  deps: SlackActionsDependencies,
): Promise<{ outcome: string; reason: string }> {
  const [current, alert] = await Promise.all([
    deps.store.get(click.incidentKey),
    deps.alerts.get(click.incidentKey),
  ]);
  if (current === null) {
    await tell(click, 'This alert’s incident is no longer tracked (it expired), so nothing changed.', deps);
    return { outcome: 'missing', reason: 'missing' };
  }
  const render = (incident: IncidentRecord) =>
    buildSlackMessage(incident, alert?.diagnosedFor === diagnosisSubject(incident) ? alert.diagnosis : null, {
      now,
      ...(deps.snoozeSeconds ? { snoozeSeconds: deps.snoozeSeconds } : {}),
    });
  const transition = transitionOf(click, now);
  const predicted = applyTransition(current, transition, now);
  if (predicted.outcome !== 'applied') {
    await tell(click, unchangedText(current, predicted.reason), deps);
    return { outcome: predicted.outcome, reason: predicted.reason };
  }

  // The write and the message update run side by side: together they must fit Slack's 3 seconds.
  const [written] = await Promise.allSettled([
    deps.store.transition(click.incidentKey, transition, now).then(async (result) => {
      if (result.outcome === 'applied' && result.notice) await announce(result.incident, deps);
      return result;
    }),
    showMessage(click, render(predicted.next), deps),
  ]);
  if (written.status === 'rejected') {
    // Nothing changed after all: put the message back as it was, and say so.
    deps.logger.error('cannot apply slack action', {
      key: click.incidentKey,
      code: written.reason instanceof PullwatchError ? written.reason.code : 'unexpected',
      error: errorMessage(written.reason),
    });
    await showMessage(click, render(current), deps);
    await tell(click, 'pullwatch could not save that change; please try again.', deps);
    return { outcome: 'failed', reason: 'store_error' };
  }
  const result: TransitionResult = written.value;
  if (result.outcome !== 'applied' && result.incident !== null) {
    // Someone else changed it between our read and our write: show what is true now.
    await showMessage(click, render(result.incident), deps);
    await tell(click, unchangedText(result.incident, result.reason), deps);
  }
  return { outcome: result.outcome, reason: result.reason };
}

/** `chat.update` keeps the message's metadata (needed to find it again); `response_url` is the fallback. */
async function showMessage(click: SlackClick, message: SlackMessage, deps: SlackActionsDependencies) {
  try {
    await deps.slack.update(click.channel, click.messageTs, message);
    return;
  } catch (error) {
    deps.logger.warn('chat.update failed, replacing through response_url', {
      key: click.incidentKey,
      error: errorMessage(error),
    });
  }
  try {
    await deps.slack.respond(click.responseUrl, asReplacement(message));
  } catch (error) {
    deps.logger.error('cannot update the clicked message', {
      key: click.incidentKey,
      error: errorMessage(error),
    });
  }
}

/** A note only the clicker sees. */
async function tell(click: SlackClick, text: string, deps: SlackActionsDependencies): Promise<void> {
  try {
    await deps.slack.respond(click.responseUrl, buildEphemeralNotice(text));
  } catch (error) {
    deps.logger.warn('cannot answer the clicker', { key: click.incidentKey, error: errorMessage(error) });
  }
}

/** The notice that lets notify update the other channels' messages and tell SNS; sweep resends if lost. */
async function announce(incident: IncidentRecord, deps: SlackActionsDependencies): Promise<void> {
  if (!deps.notices || incident.pendingNotice === null) return;
  const notice = noticeFor(incident);
  try {
    const sent = await deps.notices.send([
      { id: 'n0', body: encodeNotice(notice), attributes: noticeAttributes(notice) },
    ]);
    if (sent.sent.length === 1) await deps.store.markNoticeSent(incident.key, notice.seq);
  } catch (error) {
    deps.logger.warn('notice not sent; sweep will resend it', {
      key: incident.key,
      error: errorMessage(error),
    });
  }
}

function unchangedText(incident: IncidentRecord, reason: string): string {
  switch (reason) {
    case 'already_acknowledged':
      return `Already acknowledged${incident.acknowledgedBy ? ` by ${userMention(incident.acknowledgedBy)}` : ''}.`;
    case 'already_snoozed':
      return 'Already snoozed until then.';
    case 'resolved':
    case 'already_resolved':
      return 'This incident is already resolved; nothing changed.';
    default:
      return `Nothing changed (${reason}).`;
  }
}

function json(statusCode: number, body: Record<string, string>): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  };
}
