import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CAUSES } from '../../lib/classify/causes.ts';
import type { ActionsBlock, Block, SlackMessage } from '../../lib/notify/block-kit.ts';
import { CAUSE_WORDS } from '../../lib/notify/cause-words.ts';
import { buildSlackMessage, STATE_STYLE } from '../../lib/notify/slack-message.ts';
import { buildThreadReply, type ThreadEvent } from '../../lib/notify/slack-thread.ts';
import { validateMessageContent } from '../support/slack-api.ts';
import { diagnosisArb, incidentArb } from './notify-arbitraries.ts';
import { NOW, registryIncident, tagDiagnosis, tlsDiagnosis, workloadIncident } from './notify-fixtures.ts';

function blocksOf(message: SlackMessage): Block[] {
  return [...(message.blocks ?? []), ...(message.attachments ?? []).flatMap((a) => a.blocks)];
}

function allText(message: SlackMessage): string {
  return JSON.stringify(blocksOf(message));
}

function actions(message: SlackMessage): ActionsBlock | undefined {
  return blocksOf(message).find((block): block is ActionsBlock => block.type === 'actions');
}

function headerOf(message: SlackMessage): string {
  const header = blocksOf(message).find((block) => block.type === 'header');
  return header?.type === 'header' ? header.text.text : '';
}

/** Every message the builders make must pass the stand-in's (Slack's) limits. */
function expectValid(message: SlackMessage): void {
  expect(validateMessageContent(message)).toEqual([]);
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(40_000);
}

const snapshotStates: Array<[string, () => SlackMessage]> = [
  ['open-new', () => buildSlackMessage(workloadIncident(), null, { now: NOW })],
  ['open-diagnosed', () => buildSlackMessage(workloadIncident(), tagDiagnosis(), { now: NOW })],
  [
    'updated',
    () =>
      buildSlackMessage(
        workloadIncident({
          count: 412,
          lastSeen: '2026-11-01T13:40:00Z',
          pods: [...workloadIncident().pods, 'checkout-api-7d9f8-zz1aa'],
        }),
        tagDiagnosis(),
        { now: Date.parse('2026-11-01T13:41:00Z') },
      ),
  ],
  [
    'acknowledged',
    () =>
      buildSlackMessage(
        workloadIncident({
          state: 'acknowledged',
          acknowledgedBy: 'U024BE7LH',
          acknowledgedAt: '2026-11-01T11:05:00Z',
        }),
        tagDiagnosis(),
        { now: NOW },
      ),
  ],
  [
    'snoozed',
    () =>
      buildSlackMessage(
        workloadIncident({ state: 'snoozed', snoozedUntil: '2026-11-01T16:00:00Z' }),
        tagDiagnosis(),
        {
          now: NOW,
        },
      ),
  ],
  [
    'resolved-button',
    () =>
      buildSlackMessage(
        workloadIncident({
          state: 'resolved',
          resolvedAt: '2026-11-01T12:30:00Z',
          resolvedBy: 'button:U024BE7LH',
        }),
        tagDiagnosis(),
        { now: NOW },
      ),
  ],
  [
    'resolved-pulled',
    () =>
      buildSlackMessage(
        workloadIncident({ state: 'resolved', resolvedAt: '2026-11-01T12:10:00Z', resolvedBy: 'pulled' }),
        null,
        {
          now: NOW,
        },
      ),
  ],
  ['registry-open', () => buildSlackMessage(registryIncident(14), tlsDiagnosis(), { now: NOW })],
  ['registry-many', () => buildSlackMessage(registryIncident(300), tlsDiagnosis(), { now: NOW })],
];

const threadEvents: Array<[string, ThreadEvent]> = [
  ['thread-cause-changed', { type: 'cause_changed', previousCause: 'repo_not_found_or_denied' }],
  ['thread-reopened', { type: 'reopened' }],
  ['thread-reminder', { type: 'reminder' }],
  ['thread-snooze-ended', { type: 'snooze_ended', snoozedUntil: '2026-11-01T11:00:00Z' }],
];

describe('Slack message snapshots (committed JSON, pasteable into Block Kit Builder)', () => {
  for (const [name, build] of snapshotStates) {
    it(`renders ${name}`, async () => {
      const message = build();
      expectValid(message);
      await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
        `./__snapshots__/notify-slack/${name}.json`,
      );
    });
  }
  for (const [name, event] of threadEvents) {
    it(`renders ${name}`, async () => {
      const incident = workloadIncident({ resolvedAt: '2026-11-01T09:00:00Z' });
      const message = buildThreadReply(incident, event, tagDiagnosis(), { now: NOW });
      expectValid(message);
      await expect(`${JSON.stringify(message, null, 2)}\n`).toMatchFileSnapshot(
        `./__snapshots__/notify-slack/${name}.json`,
      );
    });
  }
});

describe('buildSlackMessage', () => {
  it('names the workload and the problem in the header, and the cause in plain words', () => {
    const message = buildSlackMessage(workloadIncident(), tagDiagnosis(), { now: NOW });
    expect(headerOf(message)).toBe('🔴 shop/checkout-api: Image tag not found');
    expect(allText(message)).toContain(CAUSE_WORDS.tag_not_found.explanation);
    expect(allText(message)).toContain('no tag v9');
    expect(message.text).toContain('[prod-eu]');
    expect(message.text).toContain('37 events, 3 pods');
  });

  it('shows the registry evidence, the closest tags and remediation as code blocks with real names', () => {
    const text = allText(buildSlackMessage(workloadIncident(), tagDiagnosis(), { now: NOW }));
    expect(text).toContain(
      '❌ *manifest* GET /v2/team/checkout-api/manifests/v9 → 404 MANIFEST_UNKNOWN (38 ms)',
    );
    expect(text).toContain('*Closest tags:* `v8` `v9-rc1` `v8.1`');
    expect(text).toContain(
      '```kubectl -n shop set image deployment/checkout-api checkout-api=registry.example.com/team/checkout-api:v8```',
    );
    expect(text).toContain('*Checked from* lambda eu-west-1');
  });

  it('puts cluster, namespace, workload, pods, events, first and last seen in the context', () => {
    const message = buildSlackMessage(workloadIncident(), tagDiagnosis(), { now: NOW });
    const context = blocksOf(message).find((b) => b.type === 'context');
    const texts = context?.type === 'context' ? context.elements.map((e) => e.text) : [];
    expect(texts).toContain('*Cluster* `prod-eu`');
    expect(texts).toContain('*Namespace* `shop`');
    expect(texts).toContain('*Deployment* `checkout-api`');
    expect(texts).toContain('*Events* 37');
    expect(texts.some((t) => t.startsWith('*3 pods* `checkout-api-7d9f8-x2kq9`'))).toBe(true);
    expect(texts).toContain(
      '*First seen* <!date^1793527200^{date_short_pretty} {time}|2026-11-01 10:00 UTC>',
    );
  });

  it('offers Acknowledge, three snoozes and Resolve, each carrying the incident key', () => {
    const block = actions(buildSlackMessage(workloadIncident(), null, { now: NOW }));
    expect(block?.elements.map((b) => [b.action_id, b.text.text])).toEqual([
      ['pullwatch_acknowledge', 'Acknowledge'],
      ['pullwatch_snooze_3600', 'Snooze 1 h'],
      ['pullwatch_snooze_14400', 'Snooze 4 h'],
      ['pullwatch_snooze_86400', 'Snooze 24 h'],
      ['pullwatch_resolve', 'Resolve'],
    ]);
    expect(new Set(block?.elements.map((b) => b.value))).toEqual(new Set(['wl_5f0c9e1a7b2d4c33']));
  });

  it('makes one button per valid configured snooze length', () => {
    const message = buildSlackMessage(workloadIncident(), null, {
      now: NOW,
      snoozeSeconds: [1_800, 1_800, 30, 8 * 86_400, 2.5, 7_200],
    });
    expect(actions(message)?.elements.map((b) => b.text.text)).toEqual([
      'Acknowledge',
      'Snooze 30 min',
      'Snooze 2 h',
      'Resolve',
    ]);
    expectValid(message);
  });

  it('drops Acknowledge once acknowledged and names who did it', () => {
    const message = buildSlackMessage(
      workloadIncident({
        state: 'acknowledged',
        acknowledgedBy: 'U024BE7LH',
        acknowledgedAt: '2026-11-01T11:05:00Z',
      }),
      null,
      { now: NOW },
    );
    expect(actions(message)?.elements.map((b) => b.action_id)).not.toContain('pullwatch_acknowledge');
    expect(allText(message)).toContain('*Acknowledged by <@U024BE7LH>*');
    expect(message.attachments?.[0]?.color).toBe(STATE_STYLE.acknowledged.color);
  });

  it('shows a non-id acknowledger as escaped text, not a mention', () => {
    const message = buildSlackMessage(
      workloadIncident({ state: 'acknowledged', acknowledgedBy: 'ana <!channel>' }),
      null,
      { now: NOW },
    );
    expect(allText(message)).toContain('by @ana &lt;!channel&gt;');
  });

  it('says until when a snooze lasts, with a Slack date token', () => {
    const text = allText(
      buildSlackMessage(workloadIncident({ state: 'snoozed', snoozedUntil: '2026-11-01T16:00:00Z' }), null, {
        now: NOW,
      }),
    );
    expect(text).toContain(
      '*Snoozed until <!date^1793548800^{date_short_pretty} {time}|2026-11-01 16:00 UTC>*',
    );
  });

  it('turns green with no buttons when resolved, and says by whom', () => {
    const message = buildSlackMessage(
      workloadIncident({
        state: 'resolved',
        resolvedAt: '2026-11-01T12:30:00Z',
        resolvedBy: 'button:U024BE7LH',
      }),
      null,
      { now: NOW },
    );
    expect(message.attachments?.[0]?.color).toBe('#2EB67D');
    expect(actions(message)).toBeUndefined();
    expect(headerOf(message)).toBe('✅ Resolved: shop/checkout-api: Image tag not found');
    expect(allText(message)).toContain('by <@U024BE7LH> after 2 h 30 min');
    expect(allText(message)).not.toContain('What to do');
  });

  it('uses the registry verdict when it refines kubelet text, and says what kubelet said', () => {
    const incident = workloadIncident({ cause: 'repo_not_found_or_denied' });
    const message = buildSlackMessage(incident, tagDiagnosis({ cause: 'unauthorized', category: 'auth' }), {
      now: NOW,
    });
    expect(headerOf(message)).toBe('🔴 shop/checkout-api: Registry refused the credentials');
    expect(allText(message)).toContain("_Kubelet's text alone said: repository not found or access denied._");
  });

  it('keeps kubelet text for an unknown registry verdict', () => {
    const message = buildSlackMessage(
      workloadIncident(),
      tagDiagnosis({ cause: 'unknown', category: 'unknown' }),
      {
        now: NOW,
      },
    );
    expect(headerOf(message)).toContain('Image tag not found');
  });

  it('escapes Slack control characters from cluster data so nobody gets pinged', () => {
    const message = buildSlackMessage(
      workloadIncident({
        message: 'Failed to pull image "x": <!channel> & <@U999> `code`',
        namespace: 'a<!here>',
      }),
      null,
      { now: NOW },
    );
    // plain_text (the header) is never parsed for mentions; mrkdwn and the top-level text are.
    const text = [
      message.text,
      ...JSON.stringify(blocksOf(message)).match(/"type":"mrkdwn","text":"(?:[^"\\]|\\.)*"/g)!,
    ].join('\n');
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<!here>');
    expect(text).not.toContain('<@U999>');
    expect(text).toContain('&lt;!channel&gt; &amp; &lt;@U999&gt;');
  });

  it('writes first steps with real names when there is no diagnosis', () => {
    const text = allText(buildSlackMessage(workloadIncident(), null, { now: NOW }));
    expect(text).toContain('```skopeo list-tags docker://registry.example.com/team/checkout-api```');
    expect(text).toContain('```kubectl -n shop describe pod checkout-api-7d9f8-x2kq9```');
  });

  it('lists affected workloads of a registry incident and counts the rest', () => {
    const message = buildSlackMessage(registryIncident(300), tlsDiagnosis(), { now: NOW });
    expect(headerOf(message)).toBe(
      '🔴 registry.internal.example:5000: Registry TLS certificate problem — 300 workloads',
    );
    const affected = blocksOf(message).find(
      (b) => b.type === 'section' && b.text?.text.startsWith('*Affected workloads* (300)'),
    );
    const text = affected?.type === 'section' ? (affected.text?.text ?? '') : '';
    const shown = text.split('\n').filter((line) => line.startsWith('• ')).length;
    expect(shown).toBeGreaterThan(10);
    expect(text.endsWith(`_and ${300 - shown} more_`)).toBe(true);
    expect(text.length).toBeLessThanOrEqual(3_000);
  });

  it('lists every affected workload when they fit', () => {
    const text = allText(buildSlackMessage(registryIncident(14), tlsDiagnosis(), { now: NOW }));
    expect(text).toContain(
      '`shop/service-000` StatefulSet — `registry.internal.example:5000/shop/service-0:2.4.0`',
    );
    expect(text).toContain('service-013');
    expect(text).not.toContain('more_');
  });

  it('keeps the buttons and the context when remediation alone would exceed 50 blocks', () => {
    const steps = Array.from({ length: 120 }, (_, i) => ({ title: `step ${i}`, command: `echo ${i}` }));
    const message = buildSlackMessage(workloadIncident(), tagDiagnosis({ remediation: steps }), { now: NOW });
    const blocks = blocksOf(message);
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(blocks.at(-1)?.type).toBe('actions');
    expect(blocks.at(-2)?.type).toBe('context');
    expect(allText(message)).toMatch(/_and \d+ more steps_/);
  });

  it('leaves the buttons out, visibly, when the incident key cannot fit a button value', () => {
    const message = buildSlackMessage(workloadIncident({ key: 'k'.repeat(2_001) }), null, { now: NOW });
    expect(actions(message)).toBeUndefined();
    expect(allText(message)).toContain('Buttons unavailable');
    expectValid(message);
  });

  it('carries the incident key in message metadata for reconciling', () => {
    const message = buildSlackMessage(workloadIncident(), null, { now: NOW });
    expect(message.metadata).toEqual({
      event_type: 'pullwatch_incident',
      event_payload: { incident_key: 'wl_5f0c9e1a7b2d4c33', state: 'open', version: 3 },
    });
  });

  it('has plain words for every cause id', () => {
    for (const cause of CAUSES) {
      expect(CAUSE_WORDS[cause].title.length).toBeGreaterThan(5);
      expect(CAUSE_WORDS[cause].title.length).toBeLessThanOrEqual(60);
      expect(CAUSE_WORDS[cause].explanation).toMatch(/\.$/);
    }
    expect(new Set(CAUSES.map((cause) => CAUSE_WORDS[cause].title)).size).toBe(CAUSES.length);
  });

  it('renders every cause and state within Slack limits', () => {
    for (const cause of CAUSES) {
      for (const state of ['open', 'acknowledged', 'snoozed', 'resolved'] as const) {
        expectValid(buildSlackMessage(workloadIncident({ cause, state }), null, { now: NOW }));
        expectValid(buildSlackMessage(registryIncident(5, { cause, state }), null, { now: NOW }));
      }
    }
  });
});

describe('Slack limits hold for arbitrary incidents (property)', () => {
  it('never exceeds a Block Kit limit in the alert', () => {
    fc.assert(
      fc.property(
        incidentArb,
        fc.option(diagnosisArb),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (incident, diagnosis, now) => {
          const message = buildSlackMessage(incident, diagnosis, { now });
          expect(validateMessageContent(message)).toEqual([]);
          expect(message.text.length).toBeLessThanOrEqual(40_000);
          expect(message.text.length).toBeGreaterThan(0);
          JSON.stringify(message);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never exceeds a Block Kit limit in a thread reply', () => {
    const event: fc.Arbitrary<ThreadEvent> = fc.oneof(
      fc.constantFrom(...CAUSES).map((previousCause) => ({ type: 'cause_changed' as const, previousCause })),
      fc.constant({ type: 'reopened' as const }),
      fc.constant({ type: 'reminder' as const }),
      fc.option(fc.string()).map((snoozedUntil) => ({ type: 'snooze_ended' as const, snoozedUntil })),
    );
    fc.assert(
      fc.property(incidentArb, event, fc.option(diagnosisArb), (incident, threadEvent, diagnosis) => {
        const message = buildThreadReply(incident, threadEvent, diagnosis, { now: NOW });
        expect(validateMessageContent(message)).toEqual([]);
        expect(message.text.length).toBeLessThanOrEqual(40_000);
      }),
      { numRuns: 100 },
    );
  });
});
