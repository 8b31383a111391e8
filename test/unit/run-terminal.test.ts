import { describe, expect, it } from 'vitest';
import { causeWords } from '../../lib/notify/cause-words.ts';
import {
  alertRecord,
  colourEnabled,
  renderRecapLine,
  renderTerminalAlert,
  type TerminalAlert,
  wrap,
  wrapParts,
} from '../../lib/notify/terminal.ts';
import { NOW, registryIncident, tagDiagnosis, tlsDiagnosis, workloadIncident } from './notify-fixtures.ts';

const plain = { colour: false, now: NOW, width: 100 };
const ANSI = /\u001b\[[0-9;]*m/g;

function text(alert: TerminalAlert, options = plain): string {
  return `${renderTerminalAlert(alert, options).join('\n')}\n`;
}

describe('terminal alert blocks (snapshots, colour off)', () => {
  const cases: Array<[string, TerminalAlert]> = [
    ['open-diagnosed', { incident: workloadIncident(), diagnosis: tagDiagnosis(), news: 'opened' }],
    ['open-undiagnosed', { incident: workloadIncident(), diagnosis: null, news: 'opened' }],
    ['registry-open', { incident: registryIncident(4), diagnosis: tlsDiagnosis(), news: 'opened' }],
    ['registry-many', { incident: registryIncident(40), diagnosis: null, news: 'reopened' }],
    [
      'cause-changed',
      {
        incident: workloadIncident({ cause: 'unauthorized', category: 'auth' }),
        diagnosis: null,
        news: 'cause_changed',
      },
    ],
    ['update', { incident: workloadIncident(), diagnosis: tagDiagnosis(), news: 'updated' }],
    [
      'acknowledged',
      {
        incident: workloadIncident({ state: 'acknowledged', acknowledgedBy: 'ana' }),
        diagnosis: null,
        news: 'updated',
      },
    ],
    [
      'resolved',
      {
        incident: workloadIncident({
          state: 'resolved',
          resolvedAt: '2026-11-01T11:59:30Z',
          resolvedBy: 'pulled',
        }),
        diagnosis: tagDiagnosis(),
        news: 'resolved',
      },
    ],
    ['reminder', { incident: workloadIncident(), diagnosis: null, news: 'reminder' }],
  ];
  for (const [name, alert] of cases) {
    it(name, async () => {
      await expect(text(alert)).toMatchFileSnapshot(`__snapshots__/run-terminal/${name}.txt`);
    });
  }
});

describe('what the blocks say', () => {
  it('a new problem gets a full block: headline, cause words, evidence, fix, context', () => {
    const out = text({ incident: workloadIncident(), diagnosis: tagDiagnosis(), news: 'opened' });
    expect(out).toContain('● CRITICAL  shop/checkout-api: Image tag not found');
    expect(out).toContain(causeWords('tag_not_found').explanation.split(' ').slice(0, 6).join(' '));
    expect(out).toContain('manifest unknown'); // kubelet's evidence
    expect(out).toContain('team/checkout-api exists on registry.example.com'); // the registry's verdict
    expect(out).toMatch(/\$ kubectl -n shop set image deployment\/checkout-api/); // the fix, copyable
    expect(out).toMatch(/cluster prod-eu · namespace shop · Deployment checkout-api/);
    expect(out).toMatch(/37 events · first 2026-11-01 10:00:00 UTC · last 2026-11-01 11:58:00 UTC/);
    expect(out).toMatch(/checked from/);
  });

  it('without a registry check the fix falls back to the cause category steps with real names', () => {
    const out = text({ incident: workloadIncident(), diagnosis: null, news: 'opened' });
    expect(out).toContain('$ skopeo list-tags docker://registry.example.com/team/checkout-api');
    expect(out).not.toContain('check     ');
  });

  it('a registry incident lists the workloads it stops, and counts the ones it does not show', () => {
    const few = text({ incident: registryIncident(4), diagnosis: tlsDiagnosis(), news: 'opened' });
    expect(few).toMatch(/— 4 workloads/);
    expect(few.match(/^ {12}\S+\/\S+ \((Deployment|StatefulSet)\)/gm)).toHaveLength(4);
    const many = text({ incident: registryIncident(40), diagnosis: null, news: 'opened' });
    expect(many).toMatch(/and \d+ more/);
  });

  it('repeats, acknowledgement, reminders and resolution are one line each', () => {
    for (const news of ['updated', 'resolved', 'reminder', 'snooze_ended'] as const) {
      const lines = renderTerminalAlert(
        { incident: workloadIncident(), diagnosis: null, news },
        { colour: false, now: NOW },
      );
      expect(lines).toHaveLength(1);
    }
    const resolved = text({
      incident: workloadIncident({
        state: 'resolved',
        resolvedAt: '2026-11-01T11:59:30Z',
        resolvedBy: 'pulled',
      }),
      diagnosis: null,
      news: 'resolved',
    });
    expect(resolved).toMatch(
      /RESOLVED shop\/checkout-api: Image tag not found — the image now pulls, after 1 h 59 min/,
    );
  });

  it('the node-side warning appears only when the registry serves the image from here', () => {
    const fine = tagDiagnosis({ agreesWithNode: false, pullable: true });
    const unreachable = tagDiagnosis({ agreesWithNode: false, pullable: false });
    const warn = /looks fine from here/;
    expect(text({ incident: workloadIncident(), diagnosis: fine, news: 'opened' })).toMatch(warn);
    expect(text({ incident: workloadIncident(), diagnosis: unreachable, news: 'opened' })).not.toMatch(warn);
  });

  it('prose wraps to the width; commands and names never break', () => {
    const lines = renderTerminalAlert(
      { incident: workloadIncident(), diagnosis: tagDiagnosis(), news: 'opened' },
      { colour: false, now: NOW, width: 60 },
    );
    for (const line of lines.filter((l) => !l.includes('$ ') && !/[✓✗]/.test(l))) {
      const longest = Math.max(...line.split(' ').map((word) => word.length));
      expect(line.length <= 60 || longest > 30).toBe(true);
    }
    expect(lines.some((line) => line.includes('$ kubectl -n shop set image deployment/checkout-api'))).toBe(
      true,
    );
  });

  it('colour is ANSI on top of the same text', () => {
    const alert: TerminalAlert = { incident: registryIncident(4), diagnosis: tlsDiagnosis(), news: 'opened' };
    const coloured = text(alert, { ...plain, colour: true });
    expect(coloured).toMatch(ANSI);
    expect(coloured.replace(ANSI, '')).toBe(text(alert));
  });

  it('the recap line names the problem, its size and its age', () => {
    const line = renderRecapLine({ incident: registryIncident(3), diagnosis: null }, plain);
    expect(line).toMatch(
      /^● registry\.internal\.example:5000: .* — 3 workloads: .+ · \d+ events · \d+ pods? · failing for/,
    );
  });
});

describe('colourEnabled', () => {
  it.each([
    [{ isTTY: true }, {}, true],
    [{ isTTY: false }, {}, false],
    [{}, {}, false],
    [{ isTTY: true }, { NO_COLOR: '1' }, false],
    [{ isTTY: true }, { NO_COLOR: '' }, true],
    [{ isTTY: false }, { FORCE_COLOR: '1' }, true],
    [{ isTTY: false }, { FORCE_COLOR: '' }, true],
    [{ isTTY: true }, { FORCE_COLOR: '0' }, false],
    [{ isTTY: true }, { FORCE_COLOR: 'false' }, false],
    [{ isTTY: true }, { NO_COLOR: 'x', FORCE_COLOR: '1' }, false],
    [{ isTTY: true }, { TERM: 'dumb' }, false],
  ])('%o with %o → %s', (stream, env, expected) => {
    expect(colourEnabled(stream, env)).toBe(expected);
  });
});

describe('wrap', () => {
  it('breaks between words and keeps an over-long word whole', () => {
    expect(wrap('aa bb cc dd', 5)).toEqual(['aa bb', 'cc dd']);
    expect(wrap('a registry.example.com/team/very-long-image:tag b', 10)).toEqual([
      'a',
      'registry.example.com/team/very-long-image:tag',
      'b',
    ]);
    expect(wrap('one\ntwo', 80)).toEqual(['one', 'two']);
  });
});

describe('wrapParts', () => {
  it('breaks between parts, never inside one that fits', () => {
    expect(wrapParts(['37 events', 'failing for 2 h', 'checked from lambda eu-west-1'], 30)).toEqual([
      '37 events · failing for 2 h ·',
      'checked from lambda eu-west-1',
    ]);
    expect(wrapParts(['a'], 10)).toEqual(['a']);
    expect(wrapParts(['a very long part that cannot fit', 'b'], 12)).toEqual([
      'a very long',
      'part that',
      'cannot fit ·',
      'b',
    ]);
  });
});

describe('alertRecord (--json)', () => {
  it('carries the same facts as the text, as data', () => {
    const record = alertRecord(
      { incident: registryIncident(4), diagnosis: tlsDiagnosis(), news: 'opened' },
      { now: NOW },
    );
    expect(record).toMatchObject({
      news: 'opened',
      kind: 'registry',
      severity: 'critical',
      cause: 'tls',
      affectedTotal: 4,
      at: new Date(NOW).toISOString(),
    });
    expect((record.affected as unknown[]).length).toBe(4);
    expect((record.remediation as unknown[]).length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });

  it('a resolved alert has no to-do list', () => {
    const record = alertRecord(
      {
        incident: workloadIncident({
          state: 'resolved',
          resolvedBy: 'pulled',
          resolvedAt: '2026-11-01T11:59:30Z',
        }),
        diagnosis: null,
        news: 'resolved',
      },
      { now: NOW },
    );
    expect(record.remediation).toEqual([]);
    expect(record.state).toBe('resolved');
  });
});
