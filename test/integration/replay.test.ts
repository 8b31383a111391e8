import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { envelope } from '../support/envelopes.ts';
import { stormEvents, tlsMessage } from '../support/storm.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'pullwatch-replay-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pullwatch(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/pullwatch.js', ...args], {
      cwd: join(import.meta.dirname, '../..'),
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('pullwatch replay', () => {
  const storm = join(dir, 'storm.ndjson');
  writeFileSync(
    storm,
    `${[...stormEvents({ events: 10_000, pods: 50 })].map((e) => JSON.stringify(e.event)).join('\n')}\n`,
  );

  it('prints exactly one open (and bounded updates) for a 10,000-event single-tag storm, deterministically', async () => {
    const first = await pullwatch(['replay', storm, '--json']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const lines = first.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const opens = lines.filter((l) => l.action === 'open');
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({
      reason: 'new_incident',
      kind: 'workload',
      cause: 'tag_not_found',
      namespace: 'shop',
      workload: expect.stringMatching(/^Deployment\/api$/),
      image: 'registry.example.com/team/api:v9-typo',
      cluster: 'local',
    });
    expect(typeof opens[0].incident).toBe('string');
    expect(typeof opens[0].count).toBe('number');
    const others = lines.filter((l) => l.action !== 'open');
    // Two hours of storm with the default 60 s update interval: at most one update a minute.
    expect(others.every((l) => l.action === 'update')).toBe(true);
    expect(others.length).toBeLessThanOrEqual(120);
    expect(lines.at(-1).count).toBeLessThanOrEqual(10_000);
    const second = await pullwatch(['replay', storm, '--json']);
    expect(second.stdout).toBe(first.stdout);
  }, 120_000);

  it('keeps state with --state: a second pass over the same events decides nothing', async () => {
    const small = join(dir, 'small.ndjson');
    writeFileSync(
      small,
      `${[...stormEvents({ events: 40, pods: 4 })].map((e) => JSON.stringify(e.event)).join('\n')}\n`,
    );
    const state = join(dir, 'state.db');
    const first = await pullwatch(['replay', small, '--json', '--state', state]);
    expect(
      first.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).action),
    ).toContain('open');
    const second = await pullwatch(['replay', small, '--json', '--state', state]);
    expect(second).toMatchObject({ code: 0, stdout: '' });
  });

  it('reports a bad line with its number, keeps going, and exits 1', async () => {
    const mixed = join(dir, 'mixed.ndjson');
    const events = [...stormEvents({ events: 8, pods: 2 })].map((e) => JSON.stringify(e.event));
    writeFileSync(
      mixed,
      [events[0], 'not json', JSON.stringify({ v: 9, cluster: 'x' }), ...events.slice(1)].join('\n'),
    );
    const out = await pullwatch(['replay', mixed]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/mixed\.ndjson:2: .*not JSON/);
    expect(out.stderr).toMatch(/mixed\.ndjson:3: unsupported envelope version 9/);
    expect(out.stdout).toMatch(/open\s+new_incident\s+tag_not_found/);
  });

  it('reads envelopes and packs, and reports a registry-wide failure once, as a registry incident', async () => {
    const host = 'registry.example.com';
    const envelopes = Array.from({ length: 6 }, (_, i) => {
      const image = `${host}/team/svc-${i}:v2`;
      return envelope({
        uid: `tls-${i}`,
        reason: 'Failed',
        message: tlsMessage(image, host),
        last: `2026-11-01T10:00:0${i}Z`,
        namespace: `team-${i % 3}`,
        deployment: `svc-${i}`,
        image,
      });
    });
    const file = join(dir, 'registry.ndjson');
    writeFileSync(
      file,
      [JSON.stringify(envelopes[0]), JSON.stringify({ v: 1, pack: envelopes.slice(1) })].join('\n'),
    );
    const out = await pullwatch(['replay', file, '--json']);
    expect(out.code).toBe(0);
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        action: 'open',
        kind: 'registry',
        registry: host,
        cause: 'tls',
        cluster: 'prod',
        affectedTotal: 1,
      }),
    ]);
    const text = await pullwatch(['replay', file]);
    expect(text.stdout).toContain(`registry ${host} (1 workload)`);
  });

  it('explains its usage', async () => {
    const out = await pullwatch(['replay']);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/usage: pullwatch replay FILE/);
  });
});
