import type { SlackMessage } from './block-kit.ts';
import type { SnsMessage } from './sns-message.ts';

/**
 * The notify ports: what the Lambdas call, implemented by lib/adapters/slack.ts and lib/adapters/sns.ts.
 * Every method rejects with a `DeliveryError` (lib/notify/delivery-error.ts) and nothing else.
 */
export interface PostedMessage {
  channel: string;
  ts: string;
}

export interface SlackPort {
  /** chat.postMessage. */
  postMessage(channel: string, message: SlackMessage): Promise<PostedMessage>;
  /** chat.update of an existing message (same content twice is harmless: safe to retry). */
  update(channel: string, ts: string, message: SlackMessage): Promise<PostedMessage>;
  /** chat.postMessage with thread_ts; `broadcast` also shows it in the channel. */
  postThreadReply(
    channel: string,
    threadTs: string,
    message: SlackMessage,
    options?: { broadcast?: boolean },
  ): Promise<PostedMessage>;
  /** POST to an interaction's response_url (replace the clicked message, or an ephemeral notice). */
  respond(responseUrl: string, payload: object): Promise<void>;
  /**
   * The incident's top-level message in the channel since `oldest` (a Slack ts), found by its metadata; null
   * when there is none. Reconciles a post whose answer was lost (timeout). Needs channels:history.
   */
  findIncidentMessage(
    channel: string,
    incidentKey: string,
    options?: { oldest?: string },
  ): Promise<PostedMessage | null>;
}

export interface SnsPort {
  publish(topicArn: string, message: SnsMessage): Promise<{ messageId: string }>;
}
