import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { severityOf } from '../../lib/notify/severity.ts';
import {
  clip,
  clipMrkdwn,
  codeBlock,
  formatDuration,
  shellArg,
  slackDate,
  toPrintableAscii,
} from '../../lib/notify/text.ts';

describe('text helpers', () => {
  it('clips without splitting a surrogate pair', () => {
    expect(clip('abc', 3)).toBe('abc');
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('ab😀cd', 4)).toBe('ab…');
  });

  it('clips mrkdwn outside entities and tokens, closing an open code fence', () => {
    expect(clipMrkdwn('hello &amp; world', 12)).toBe('hello …');
    expect(clipMrkdwn('see <!date^1^{time}|10:00> now', 15)).toBe('see …');
    const fenced = clipMrkdwn(`intro\n${codeBlock('x'.repeat(100))}`, 40);
    expect(fenced.length).toBeLessThanOrEqual(40);
    expect(fenced.endsWith('…\n```')).toBe(true);
  });

  it('never exceeds the limit nor leaves a broken entity (property)', () => {
    const piece = fc.constantFrom('a', '&amp;', '&lt;', '<!date^1^{time}|x>', '```', '`', '😀', ' ');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 200 }), fc.integer({ min: 10, max: 300 }), (pieces, max) => {
        const input = pieces.join('');
        const clipped = clipMrkdwn(input, max);
        if (input.length <= max) {
          expect(clipped).toBe(input);
          return;
        }
        expect(clipped.length).toBeLessThanOrEqual(max);
        expect(clipped).not.toMatch(/&[a-z]{0,3}…/);
        expect(clipped).not.toMatch(/<[^>]*…/);
        expect((clipped.match(/```/g) ?? []).length % 2).toBe(0);
      }),
    );
  });

  it('formats durations, Slack date tokens and shell words', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(12 * 60_000)).toBe('12 min');
    expect(formatDuration(200 * 60_000)).toBe('3 h 20 min');
    expect(formatDuration(52 * 3_600_000)).toBe('2 d 4 h');
    expect(formatDuration(-5)).toBe('0 s');
    expect(slackDate('2026-11-01T10:00:00Z')).toBe(
      '<!date^1793527200^{date_short_pretty} {time}|2026-11-01 10:00 UTC>',
    );
    expect(slackDate('not <a> date')).toBe('not &lt;a&gt; date');
    expect(shellArg('registry.example.com/team/api:v9')).toBe('registry.example.com/team/api:v9');
    expect(shellArg("it's; rm -rf")).toBe(`'it'\\''s; rm -rf'`);
  });

  it('reduces text to printable ASCII', () => {
    expect(toPrintableAscii('café\u0000\n😀 ok')).toBe('cafe? ? ok');
  });
});

describe('severityOf', () => {
  it('ranks lasting causes critical, possibly transient ones warning, a bare back-off info', () => {
    expect(severityOf({ kind: 'workload', cause: 'tag_not_found' })).toBe('critical');
    expect(severityOf({ kind: 'workload', cause: 'unauthorized' })).toBe('critical');
    expect(severityOf({ kind: 'workload', cause: 'rate_limited' })).toBe('warning');
    expect(severityOf({ kind: 'workload', cause: 'unknown' })).toBe('warning');
    expect(severityOf({ kind: 'workload', cause: 'none' })).toBe('info');
  });

  it('raises a registry incident one level: it stops every workload on that registry', () => {
    expect(severityOf({ kind: 'registry', cause: 'rate_limited' })).toBe('critical');
    expect(severityOf({ kind: 'registry', cause: 'none' })).toBe('warning');
  });
});
