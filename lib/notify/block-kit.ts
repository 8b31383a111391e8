/**
 * The subset of Slack Block Kit pullwatch sends, as plain data (no vendor types outside lib/adapters), and
 * Slack's documented limits (https://api.slack.com/reference/block-kit). The builders respect each limit by
 * clipping; the test stand-in rejects anything over them, like Slack does with `invalid_blocks`.
 */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  /** Top-level `text`: Slack truncates longer text; we never send it. */
  messageText: 40_000,
  headerText: 150,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  contextElements: 10,
  contextText: 3_000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  blockId: 255,
  attachments: 100,
} as const;

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}

export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}

export interface HeaderBlock {
  type: 'header';
  block_id?: string;
  text: PlainText;
}

export interface SectionBlock {
  type: 'section';
  block_id?: string;
  text?: Mrkdwn;
  fields?: Mrkdwn[];
}

export interface ContextBlock {
  type: 'context';
  block_id?: string;
  elements: Array<Mrkdwn | PlainText>;
}

export interface DividerBlock {
  type: 'divider';
  block_id?: string;
}

export interface ButtonElement {
  type: 'button';
  text: PlainText;
  action_id: string;
  value: string;
  style?: 'primary' | 'danger';
}

export interface ActionsBlock {
  type: 'actions';
  block_id?: string;
  elements: ButtonElement[];
}

export type Block = HeaderBlock | SectionBlock | ContextBlock | DividerBlock | ActionsBlock;

export interface Attachment {
  /** The colour bar: the only way to colour a Block Kit message. */
  color: string;
  blocks: Block[];
  fallback: string;
}

/** Message metadata lets a reconciler find the post for an incident in the channel's history. */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, string | number | boolean>;
}

/** A chat.postMessage / chat.update body without channel and ts. */
export interface SlackMessage {
  /** The notification text (push, screen readers, clients without Block Kit). */
  text: string;
  blocks?: Block[];
  attachments?: Attachment[];
  metadata?: MessageMetadata;
  unfurl_links?: boolean;
  unfurl_media?: boolean;
}
