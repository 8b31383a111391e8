import { describe, expect, it } from 'vitest';
import { parseSlackInteraction, SlackInteractionError } from '../../lib/notify/slack-interaction.ts';
import { buildSlackMessage } from '../../lib/notify/slack-message.ts';
import { NOW, workloadIncident } from './notify-fixtures.ts';

/** A block_actions payload shaped like Slack's, for a click on one of our buttons. */
function clickPayload(actionId: string, value: string | undefined, overrides: Record<string, unknown> = {}) {
  return {
    type: 'block_actions',
    user: { id: 'U024BE7LH', username: 'ana', name: 'ana', team_id: 'T0TEAM' },
    api_app_id: 'A0APP',
    token: 'legacy-verification-token',
    container: {
      type: 'message',
      message_ts: '1793534400.000100',
      channel_id: 'C0ALERTS01',
      is_ephemeral: false,
    },
    trigger_id: '1.2.3',
    team: { id: 'T0TEAM', domain: 'example' },
    channel: { id: 'C0ALERTS01', name: 'alerts' },
    message: { type: 'message', ts: '1793534400.000100', text: 'x' },
    response_url: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
    actions: [
      {
        action_id: actionId,
        block_id: 'pullwatch_actions',
        text: { type: 'plain_text', text: 'x' },
        ...(value === undefined ? {} : { value }),
        type: 'button',
        action_ts: '1793534405.123456',
      },
    ],
    ...overrides,
  };
}

function form(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function errorOf(body: string): SlackInteractionError {
  try {
    parseSlackInteraction(body);
  } catch (err) {
    if (err instanceof SlackInteractionError) return err;
    throw err;
  }
  throw new Error('expected a SlackInteractionError');
}

describe('parseSlackInteraction', () => {
  it('parses each button our message carries back into an action on the incident', () => {
    const message = buildSlackMessage(workloadIncident(), null, { now: NOW });
    const buttons =
      message.attachments?.[0]?.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : [])) ?? [];
    const parsed = buttons.map((button) =>
      parseSlackInteraction(form(clickPayload(button.action_id, button.value))),
    );
    expect(parsed.map((click) => [click.action, click.snoozeSeconds])).toEqual([
      ['acknowledge', undefined],
      ['snooze', 3_600],
      ['snooze', 14_400],
      ['snooze', 86_400],
      ['resolve', undefined],
    ]);
    expect(parsed[0]).toEqual({
      action: 'acknowledge',
      incidentKey: 'wl_5f0c9e1a7b2d4c33',
      user: { id: 'U024BE7LH', name: 'ana' },
      responseUrl: 'https://hooks.slack.com/actions/T0TEAM/1/abc',
      channel: 'C0ALERTS01',
      messageTs: '1793534400.000100',
      actionTs: '1793534405.123456',
      teamId: 'T0TEAM',
    });
  });

  it('finds channel and ts in container when the top-level fields are absent', () => {
    const click = parseSlackInteraction(
      form(clickPayload('pullwatch_resolve', 'k1', { channel: undefined, message: undefined })),
    );
    expect(click).toMatchObject({ channel: 'C0ALERTS01', messageTs: '1793534400.000100', incidentKey: 'k1' });
  });

  it('gives a clear error for an unknown action', () => {
    const error = errorOf(form(clickPayload('delete_everything', 'k1')));
    expect(error.code).toBe('slack_action_unknown');
    expect(error.message).toBe('unknown action_id "delete_everything"');
  });

  it('refuses snooze lengths outside 1 minute to 7 days, even from a signed click', () => {
    for (const id of [
      'pullwatch_snooze_30',
      'pullwatch_snooze_604801',
      'pullwatch_snooze_',
      'pullwatch_snooze_01',
      'pullwatch_snooze_1e5',
    ]) {
      expect(errorOf(form(clickPayload(id, 'k1'))).code).toBe('slack_action_unknown');
    }
    expect(parseSlackInteraction(form(clickPayload('pullwatch_snooze_604800', 'k1'))).snoozeSeconds).toBe(
      604_800,
    );
  });

  it('rejects other interaction types', () => {
    const error = errorOf(form({ type: 'view_submission', user: { id: 'U1' } }));
    expect(error.code).toBe('slack_interaction_unsupported');
    expect(error.message).toContain('view_submission');
  });

  it('rejects malformed bodies with a reason', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /no payload= field/],
      ['payload=%7Bnot-json', /not JSON/],
      [form(clickPayload('pullwatch_resolve', undefined)), /carries no incident key/],
      [form(clickPayload('pullwatch_resolve', '')), /carries no incident key/],
      [form({ ...clickPayload('pullwatch_resolve', 'k'), actions: [] }), /actions/],
      [
        form({ ...clickPayload('pullwatch_resolve', 'k'), response_url: 'javascript:alert(1)' }),
        /response_url/,
      ],
      [form({ ...clickPayload('pullwatch_resolve', 'k'), user: {} }), /user.id/],
      [
        form(clickPayload('pullwatch_resolve', 'k', { channel: undefined, container: undefined })),
        /no channel/,
      ],
    ];
    for (const [body, message] of cases) {
      const error = errorOf(body);
      expect(error.code).toBe('slack_payload_malformed');
      expect(error.message).toMatch(message);
    }
  });
});
