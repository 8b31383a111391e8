import { PullwatchError } from '../errors.ts';
import * as z from '../zod.ts';
import { type IncidentAction, parseActionId } from './slack-action-ids.ts';
import { clip } from './text.ts';

/**
 * A button click, from Slack's `block_actions` interaction payload (form-encoded `payload=<json>`). Parse
 * only after the signature checked out. The result is everything slack-actions needs to change the incident
 * and the message.
 */
export interface SlackClick {
  action: IncidentAction;
  incidentKey: string;
  snoozeSeconds?: number;
  user: { id: string; name: string };
  responseUrl: string;
  channel: string;
  messageTs: string;
  /** When Slack saw the click (`action_ts`), seconds with a fraction, as Slack sends it. */
  actionTs: string | null;
  teamId: string | null;
}

export type SlackInteractionErrorCode =
  | 'slack_payload_malformed'
  | 'slack_interaction_unsupported'
  | 'slack_action_unknown';

export class SlackInteractionError extends PullwatchError {
  override readonly name: string = 'SlackInteractionError';
  declare readonly code: SlackInteractionErrorCode;

  constructor(code: SlackInteractionErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

const MAX_PAYLOAD_CHARS = 1_000_000;

const payloadSchema = z.object({
  type: z.string(),
  user: z.object({
    id: z.string().check(z.minLength(1)),
    username: z.optional(z.string()),
    name: z.optional(z.string()),
  }),
  team: z.nullish(z.object({ id: z.string() })),
  channel: z.nullish(z.object({ id: z.string().check(z.minLength(1)) })),
  container: z.nullish(z.object({ message_ts: z.optional(z.string()), channel_id: z.optional(z.string()) })),
  message: z.nullish(z.object({ ts: z.optional(z.string()) })),
  response_url: z.url({ protocol: /^https?$/ }),
  actions: z
    .array(
      z.object({
        action_id: z.string(),
        value: z.optional(z.string()),
        action_ts: z.optional(z.string()),
      }),
    )
    .check(z.minLength(1)),
});

/** Parse the raw (already verified) request body of an interactivity request. */
export function parseSlackInteraction(rawBody: string): SlackClick {
  if (rawBody.length > MAX_PAYLOAD_CHARS) {
    throw new SlackInteractionError(
      'slack_payload_malformed',
      `the body is over ${MAX_PAYLOAD_CHARS} characters`,
    );
  }
  const form = new URLSearchParams(rawBody);
  const payloadText = form.get('payload');
  if (payloadText === null) {
    throw new SlackInteractionError('slack_payload_malformed', 'the body has no payload= field');
  }
  let json: unknown;
  try {
    json = JSON.parse(payloadText);
  } catch (err) {
    throw new SlackInteractionError('slack_payload_malformed', 'payload is not JSON', { cause: err });
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (type !== 'block_actions') {
    const shown = typeof type === 'string' ? clip(type, 40) : typeof type;
    throw new SlackInteractionError(
      'slack_interaction_unsupported',
      `interaction type ${shown} is not handled (only block_actions)`,
    );
  }
  const parsed = payloadSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.join('.') || '(payload)' : '(payload)';
    throw new SlackInteractionError(
      'slack_payload_malformed',
      `block_actions payload: ${where}: ${issue?.message ?? 'invalid'}`,
      {
        cause: parsed.error,
      },
    );
  }
  const payload = parsed.data;
  const clicked = payload.actions[0]!;
  const action = parseActionId(clicked.action_id);
  if (!action) {
    throw new SlackInteractionError(
      'slack_action_unknown',
      `unknown action_id "${clip(clicked.action_id, 80)}"`,
    );
  }
  const incidentKey = clicked.value ?? '';
  if (!incidentKey) {
    throw new SlackInteractionError(
      'slack_payload_malformed',
      `action ${clicked.action_id} carries no incident key`,
    );
  }
  const channel = payload.channel?.id ?? payload.container?.channel_id;
  const messageTs = payload.container?.message_ts ?? payload.message?.ts;
  if (!channel || !messageTs) {
    throw new SlackInteractionError('slack_payload_malformed', 'the click names no channel or message ts');
  }
  return {
    action: action.action,
    incidentKey,
    ...(action.snoozeSeconds === undefined ? {} : { snoozeSeconds: action.snoozeSeconds }),
    user: { id: payload.user.id, name: payload.user.username ?? payload.user.name ?? payload.user.id },
    responseUrl: payload.response_url,
    channel,
    messageTs,
    actionTs: clicked.action_ts ?? null,
    teamId: payload.team?.id ?? null,
  };
}
