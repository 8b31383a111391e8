import { randomUUID } from 'node:crypto';
import type { Diagnosis } from '../diagnose/types.ts';
import { errorMessage, PullwatchError } from '../errors.ts';
import { iso, isRolledUp } from '../incidents/state.ts';
import type { IncidentStore } from '../incidents/store.ts';
import type { IncidentRecord, NotifyClaim } from '../incidents/types.ts';
import { type AlertNews, alertNews, threadEventOf } from '../notify/alert-news.ts';
import {
  type AlertState,
  AlertStateError,
  type AlertStateStore,
  currentMessages,
  diagnosisSubject,
  emptyAlertState,
  shownOf,
  withDone,
  withMessage,
  withShown,
} from '../notify/alert-state.ts';
import type { SlackMessage } from '../notify/block-kit.ts';
import { DeliveryError } from '../notify/delivery-error.ts';
import type { PostedMessage, SlackPort, SnsPort } from '../notify/port.ts';
import { type RouteTargets, type RoutingConfig, routeAlert } from '../notify/routing.ts';
import { buildSlackMessage } from '../notify/slack-message.ts';
import { buildThreadReply } from '../notify/slack-thread.ts';
import { buildSnsMessage, type SnsMessage } from '../notify/sns-message.ts';
import type { Clock } from '../runtime/clock.ts';
import type { Logger } from '../runtime/logger.ts';
import { type MetricsSink, noMetrics } from '../runtime/metrics.ts';
import { DEFAULT_RETRY, type RetryBudget, RetryLater, withDeliveryRetry } from './delivery-retry.ts';
import type { IncidentDiagnoser } from './diagnose-incident.ts';

/**
 * Delivers one incident's alert, idempotently: claim the incident (a lease in the store), diagnose when the
 * episode, cause or image is new, render, route, then post or update the Slack messages, reply in their
 * threads, publish to SNS and hand the result to any other sink; record the delivery last. Every external
 * effect is written down right after it happens (the message's ts, the journal of replies and publishes), so
 * a retry — after a crash, a redelivered notice, or a Slack answer lost to a timeout — repeats none of them:
 * a post whose fate is unknown is looked up by its metadata (`findIncidentMessage`) before posting again.
 *
 * No Lambda here: `pullwatch run` calls the same function with SQLite, an in-process queue and a terminal sink.
 */
export interface AlertDelivery {
  incident: IncidentRecord;
  diagnosis: Diagnosis | null;
  /** What is news (opened, reopened, cause changed, reminder, snooze ended, resolved); empty for a silent update. */
  news: AlertNews[];
  route: RouteTargets;
  slack: SlackMessage;
  sns: SnsMessage;
  /** Slack messages posted by this delivery (the alert's first post in this episode). */
  posted: PostedMessage[];
}

/** Any other place an alert goes (the terminal of `pullwatch run`, a test): called once per delivery. */
export type AlertSink = (delivery: AlertDelivery) => void | Promise<void>;

export interface DeliveryDependencies {
  store: IncidentStore;
  alerts: AlertStateStore;
  routing: RoutingConfig;
  /** Null when no Slack token is configured: Slack targets are then reported as rejected. */
  slack: SlackPort | null;
  sns: SnsPort | null;
  sinks?: readonly AlertSink[];
  /** Null: alerts go out without a registry check. */
  diagnose: IncidentDiagnoser | null;
  clock: Clock;
  logger: Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
  metrics?: MetricsSink;
  retry?: Partial<Omit<RetryBudget, 'remainingMs'>>;
  /** Registry probe deadline, cut to the time left; default 5,000 ms. */
  probeDeadlineMs?: number;
  /** Snooze buttons in seconds (the policy's choices). */
  snoozeSeconds?: readonly number[];
  newToken?: () => string;
}

export interface DeliveryRequest {
  key: string;
  /** The state change the notice is about; the delivery renders the incident as it is now. */
  seq: number;
  /** The notice came back from the queue: look for posts an earlier attempt may have made. */
  redelivered: boolean;
  remainingMs: () => number;
}

export type DeliveryOutcome =
  | {
      outcome: 'delivered';
      seq: number;
      news: AlertNews['type'][];
      posted: number;
      updated: number;
      replies: number;
      published: number;
      reconciled: number;
      route: string;
      /** Targets that refused for good (unknown channel, invalid blocks): logged, and parked when possible. */
      rejected: DeliveryError[];
    }
  | { outcome: 'skipped'; reason: 'missing' | 'already_notified' }
  | { outcome: 'retry'; reason: string; retryAfterSeconds: number | null; rejected: DeliveryError[] };

/** Alert state changed under us: another sender took the claim over. */
class LostRace extends PullwatchError {
  override readonly name: string = 'LostRace';
}

export async function deliverAlert(
  request: DeliveryRequest,
  deps: DeliveryDependencies,
): Promise<DeliveryOutcome> {
  const token = (deps.newToken ?? randomUUID)();
  const claim = await deps.store.claimNotification(request.key, { seq: request.seq, token }, deps.clock());
  if (!claim.claimed) {
    if (claim.reason !== 'claimed') return { outcome: 'skipped', reason: claim.reason };
    // Another sender is at it: come back when its lease runs out (it may have died).
    const until = claim.holder
      ? Date.parse(claim.holder.until)
      : deps.clock() + deps.store.policy.notifyLeaseMs;
    return {
      outcome: 'retry',
      reason: 'claimed_by_another_sender',
      retryAfterSeconds: Math.max(1, Math.ceil((until - deps.clock()) / 1000)),
      rejected: [],
    };
  }
  const run = new Delivery(request, deps, claim.incident, claim.takeover, token);
  try {
    return await run.deliver();
  } catch (error) {
    if (!(error instanceof LostRace)) {
      await deps.store.releaseNotification(request.key, token).catch((releaseError: unknown) => {
        deps.logger.warn('cannot release notification claim', {
          key: request.key,
          error: errorMessage(releaseError),
        });
      });
    }
    if (error instanceof RetryLater || error instanceof LostRace) {
      return {
        outcome: 'retry',
        reason: error.code,
        retryAfterSeconds: error instanceof RetryLater ? error.retryAfterSeconds : null,
        rejected: run.rejected,
      };
    }
    throw error;
  }
}

class Delivery {
  readonly rejected: DeliveryError[] = [];
  readonly #request: DeliveryRequest;
  readonly #deps: DeliveryDependencies;
  readonly #incident: IncidentRecord;
  readonly #token: string;
  readonly #budget: RetryBudget;
  readonly #metrics: MetricsSink;
  #state: AlertState = emptyAlertState('');
  #reconcile: boolean;
  #counts = { posted: 0, updated: 0, replies: 0, published: 0, reconciled: 0 };

  constructor(
    request: DeliveryRequest,
    deps: DeliveryDependencies,
    incident: IncidentRecord,
    takeover: NotifyClaim | null,
    token: string,
  ) {
    this.#request = request;
    this.#deps = deps;
    this.#incident = incident;
    this.#token = token;
    this.#budget = { ...DEFAULT_RETRY, ...deps.retry, remainingMs: request.remainingMs };
    this.#metrics = deps.metrics ?? noMetrics;
    this.#reconcile = takeover !== null || request.redelivered;
  }

  async deliver(): Promise<DeliveryOutcome> {
    const incident = this.#incident;
    const deps = this.#deps;
    this.#state = (await deps.alerts.get(incident.key)) ?? emptyAlertState(incident.key);
    const diagnosis = await this.#diagnosis();
    const now = deps.clock();
    const route = routeAlert(incident, diagnosis, deps.routing);
    const channels = route.dropped ? [] : route.slack;
    const topics = route.dropped ? [] : route.sns;
    const messages = currentMessages(incident, this.#state);
    // An earlier attempt posted in this episode and died before recording: look before posting again.
    if (this.#state.episode === incident.openedAt && this.#state.messages.length > 0) this.#reconcile = true;
    const current = shownOf(incident, diagnosis);
    const news = alertNews({
      incident,
      current,
      shown: this.#state.shown,
      hasMessages: messages.length > 0,
      now,
    });
    const snoozeSeconds = deps.snoozeSeconds ? { snoozeSeconds: deps.snoozeSeconds } : {};
    const slack = buildSlackMessage(incident, diagnosis, { now, ...snoozeSeconds });
    const sns = buildSnsMessage(incident, diagnosis, { now });

    const posted: PostedMessage[] = [];
    if (messages.length === 0) {
      // A workload under a registry incident only ever updates an alert it had before the roll-up.
      if (incident.state !== 'resolved' && !isRolledUp(incident)) {
        for (const channel of channels) {
          const message = await this.#post(channel, slack);
          if (message) posted.push(message);
        }
      }
    } else {
      for (const message of messages) await this.#update(message, slack);
      for (const item of news) {
        const event = threadEventOf(item);
        if (!event) continue;
        const reply = buildThreadReply(incident, event, diagnosis, { now });
        for (const message of messages) await this.#reply(item, message, reply);
      }
    }
    if (news.length > 0) {
      for (const topic of topics) await this.#publish(news, topic, sns);
    }
    const delivery: AlertDelivery = { incident, diagnosis, news, route, slack, sns, posted };
    for (const sink of deps.sinks ?? []) {
      try {
        await sink(delivery);
      } catch (error) {
        deps.logger.warn('alert sink failed', { key: incident.key, error: errorMessage(error) });
      }
    }

    await this.#save(withShown(this.#state, current));
    const primary = incident.slack ?? this.#state.messages[0] ?? null;
    await deps.store.recordNotification(
      incident.key,
      { seq: incident.seq, token: this.#token, slack: primary },
      deps.clock(),
    );
    return {
      outcome: 'delivered',
      seq: incident.seq,
      news: news.map((item) => item.type),
      ...this.#counts,
      route: route.dropped ? `${route.reason} (dropped)` : route.reason,
      rejected: this.rejected,
    };
  }

  /** The stored diagnosis while it still fits the incident, else a fresh registry check (if there is time). */
  async #diagnosis(): Promise<Diagnosis | null> {
    const incident = this.#incident;
    const subject = diagnosisSubject(incident);
    if (this.#state.diagnosedFor === subject) return this.#state.diagnosis;
    const diagnose = this.#deps.diagnose;
    if (diagnose === null || isRolledUp(incident) || incident.state === 'resolved') return null;
    // Leave room for the deliveries after it: at least two calls and the bookkeeping.
    const spare = this.#request.remainingMs() - this.#budget.reserveMs - 2 * this.#budget.callMs;
    const deadlineMs = Math.min(this.#deps.probeDeadlineMs ?? 5_000, spare);
    if (deadlineMs < 1_000) {
      this.#deps.logger.warn('no time left for the registry check', { key: incident.key, spare });
      return null;
    }
    let diagnosis: Diagnosis | null;
    try {
      diagnosis = await diagnose(incident, { deadlineMs });
    } catch (error) {
      this.#deps.logger.warn('registry check failed', {
        key: incident.key,
        code: error instanceof PullwatchError ? error.code : 'unexpected',
        error: errorMessage(error),
      });
      return null;
    }
    this.#metrics.count('Diagnoses', 1, { cause: diagnosis?.cause ?? 'none' });
    await this.#save({
      ...this.#state,
      diagnosis,
      diagnosedFor: subject,
      diagnosedAt: iso(this.#deps.clock()),
    });
    return diagnosis;
  }

  async #post(channel: string, message: SlackMessage): Promise<PostedMessage | null> {
    const incident = this.#incident;
    const slack = this.#requireSlack(channel);
    if (slack === null) return null;
    if (this.#reconcile) {
      const found = await this.#find(slack, channel);
      if (found) {
        this.#counts.reconciled += 1;
        this.#metrics.count('Reconciled', 1, { found: 'yes' });
        await this.#save(withMessage(this.#state, incident.openedAt, found));
        // An earlier sender's post may show an older state.
        await this.#update(found, message);
        return found;
      }
    }
    let ambiguous = false;
    let posted: PostedMessage;
    try {
      posted = await this.#retry(
        () => slack.postMessage(channel, message),
        () => 'throw',
      );
    } catch (error) {
      if (this.#final(error, channel)) return null;
      if (!(error instanceof DeliveryError && error.ambiguous)) throw error;
      ambiguous = true;
      const found = await this.#find(slack, channel);
      if (!found) {
        // Slack may still be processing it: let the queue bring the notice back, then look again first.
        throw new RetryLater(`chat.postMessage to ${channel}: no answer and no message found yet`, null, {
          cause: error,
        });
      }
      this.#counts.reconciled += 1;
      this.#metrics.count('Reconciled', 1, { found: 'yes' });
      posted = found;
    }
    if (!ambiguous) this.#counts.posted += 1;
    this.#metrics.count('SlackPosts', 1);
    await this.#save(withMessage(this.#state, incident.openedAt, posted));
    return posted;
  }

  async #find(slack: SlackPort, channel: string): Promise<PostedMessage | null> {
    // Messages of an earlier episode (same incident key) were posted before this episode opened.
    const oldest = Math.max(0, Math.floor(Date.parse(this.#incident.openedAt) / 1000) - 60);
    try {
      return await this.#retry(
        () => slack.findIncidentMessage(channel, this.#incident.key, { oldest: `${oldest}.000000` }),
        () => 'retry',
      );
    } catch (error) {
      if (!(error instanceof DeliveryError) || error.failure !== 'rejected') throw error;
      // Without channels:history there is no looking; say so and go on as if nothing was found.
      this.#metrics.count('Reconciled', 1, { found: 'unknown' });
      this.#deps.logger.warn('cannot look for an earlier post', {
        key: this.#incident.key,
        channel,
        detail: error.detail,
      });
      return null;
    }
  }

  async #update(message: PostedMessage, content: SlackMessage): Promise<void> {
    const slack = this.#requireSlack(message.channel);
    if (slack === null) return;
    try {
      // chat.update with the same content is harmless, so an ambiguous failure is simply retried.
      await this.#retry(
        () => slack.update(message.channel, message.ts, content),
        () => 'retry',
      );
      this.#counts.updated += 1;
      this.#metrics.count('SlackUpdates', 1);
    } catch (error) {
      if (!this.#final(error, message.channel)) throw error;
    }
  }

  async #reply(news: AlertNews, message: PostedMessage, reply: SlackMessage): Promise<void> {
    const entry = `${news.id}>slack:${message.channel}`;
    if (this.#state.done.includes(entry)) return;
    const slack = this.#requireSlack(message.channel);
    if (slack === null) return;
    try {
      await this.#retry(
        () => slack.postThreadReply(message.channel, message.ts, reply),
        () => 'throw',
      );
      this.#counts.replies += 1;
      this.#metrics.count('ThreadReplies', 1, { news: news.type });
    } catch (error) {
      if (this.#final(error, message.channel)) return;
      if (!(error instanceof DeliveryError && error.ambiguous)) throw error;
      // A reply whose answer was lost most likely went out: a missing reply is better than a doubled one.
      this.#deps.logger.warn('thread reply unconfirmed, not repeated', {
        key: this.#incident.key,
        channel: message.channel,
        news: news.type,
      });
    }
    await this.#save(withDone(this.#state, entry));
  }

  async #publish(news: AlertNews[], topic: string, message: SnsMessage): Promise<void> {
    const entries = news.map((item) => `${item.id}>sns:${topic}`);
    if (entries.every((entry) => this.#state.done.includes(entry))) return;
    const sns = this.#deps.sns;
    if (sns === null) {
      this.#final(
        new DeliveryError({
          service: 'sns',
          failure: 'rejected',
          operation: 'Publish',
          message: 'no SNS client configured',
        }),
        topic,
      );
      return;
    }
    try {
      // SNS is at-least-once here: an unconfirmed publish is repeated (FIFO topics deduplicate it).
      await this.#retry(
        () => sns.publish(topic, message),
        () => 'retry',
      );
      this.#counts.published += 1;
      this.#metrics.count('SnsPublishes', 1);
    } catch (error) {
      if (!this.#final(error, topic)) throw error;
      return;
    }
    let state = this.#state;
    for (const entry of entries) state = withDone(state, entry);
    await this.#save(state);
  }

  #requireSlack(channel: string): SlackPort | null {
    if (this.#deps.slack) return this.#deps.slack;
    this.#final(
      new DeliveryError({
        service: 'slack',
        failure: 'rejected',
        operation: 'chat.postMessage',
        message: 'no Slack bot token configured',
      }),
      channel,
    );
    return null;
  }

  /** A refusal that no retry can fix: noted, logged, and the other targets still get theirs. */
  #final(error: unknown, target: string): boolean {
    if (!(error instanceof DeliveryError) || error.failure !== 'rejected') return false;
    this.rejected.push(error);
    this.#metrics.count('DeliveryRejected', 1, { service: error.service, detail: error.detail ?? 'none' });
    this.#deps.logger.error('delivery rejected', {
      key: this.#incident.key,
      target,
      code: error.code,
      detail: error.detail,
      error: error.message,
    });
    return true;
  }

  #retry<T>(call: () => Promise<T>, onAmbiguous: () => 'retry' | 'throw'): Promise<T> {
    return withDeliveryRetry(call, this.#budget, {
      onAmbiguous,
      onRetry: (error, attempt, waitMs) => {
        this.#metrics.count('DeliveryRetries', 1, { failure: error.failure });
        this.#deps.logger.info('delivery retry', {
          key: this.#incident.key,
          operation: error.operation,
          failure: error.failure,
          attempt,
          waitMs,
        });
      },
    });
  }

  async #save(next: AlertState): Promise<void> {
    const stamped: AlertState = {
      ...next,
      key: this.#incident.key,
      version: this.#state.version + 1,
      expiresAt: this.#incident.expiresAt,
    };
    let saved: boolean;
    try {
      saved = await this.#deps.alerts.save(stamped);
    } catch (error) {
      if (error instanceof AlertStateError && error.retryable) {
        throw new RetryLater(`alert state unavailable: ${error.message}`, null, { cause: error });
      }
      throw error;
    }
    if (!saved) {
      throw new LostRace(
        'alert_state_conflict',
        `alert state of ${this.#incident.key} changed under us: another sender took over`,
      );
    }
    this.#state = stamped;
  }
}
