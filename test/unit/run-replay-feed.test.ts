import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { emptyCounts, type ReplayBatch, replayBatches } from '../../lib/run/replay-feed.ts';
import { envelope } from '../support/envelopes.ts';

const at = (seconds: number) => new Date(Date.parse('2026-03-10T09:00:00Z') + seconds * 1000).toISOString();

function failure(uid: string, seconds: number, namespace = 'shop') {
  return envelope({
    uid,
    reason: 'Failed',
    message: 'Failed to pull image "registry.example.com/team/api:v9": not found',
    last: at(seconds),
    namespace,
  });
}

async function collect(text: string, options: Parameters<typeof replayBatches>[2] = {}) {
  const counts = emptyCounts();
  const batches: ReplayBatch[] = [];
  for await (const batch of replayBatches(Readable.from([text]), counts, options)) batches.push(batch);
  return { counts, batches };
}

describe('replay feed', () => {
  it('groups events that arrive within the window, and judges each batch by its own latest event', async () => {
    const text = [failure('a', 0), failure('b', 0.4), failure('c', 0.9), failure('d', 5), failure('e', 5.2)]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const { counts, batches } = await collect(text);
    expect(batches.map((b) => b.bodies.length)).toEqual([3, 2]);
    expect(batches.map((b) => new Date(b.at).toISOString())).toEqual([at(0.9), at(5.2)]);
    expect(counts).toMatchObject({ lines: 5, events: 5, invalid: 0, skipped: 0 });
    expect(counts.last - counts.first).toBe(5_200);
    for (const body of batches.flatMap((b) => b.bodies)) expect(JSON.parse(body)).toMatchObject({ v: 1 });
  });

  it('caps a batch at maxBatch events', async () => {
    const text = Array.from({ length: 7 }, (_, i) => JSON.stringify(failure(`u${i}`, 0))).join('\n');
    const { batches } = await collect(text, { maxBatch: 3 });
    expect(batches.map((b) => b.bodies.length)).toEqual([3, 3, 1]);
  });

  it('the clock never goes back for a late line', async () => {
    const text = [failure('a', 10), failure('b', 2), failure('c', 20)]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const { batches } = await collect(text, { windowMs: 1 });
    // The late line is judged at the time already reached, with the batch it arrived in.
    expect(batches.map((b) => b.bodies.length)).toEqual([2, 1]);
    expect(batches.map((b) => new Date(b.at).toISOString())).toEqual([at(10), at(20)]);
  });

  it('reads bare Kubernetes Events and packs too', async () => {
    const bare = failure('x', 1).event;
    const pack = { v: 1, pack: [failure('y', 2), failure('z', 2)] };
    const { counts, batches } = await collect(`${JSON.stringify(bare)}\n${JSON.stringify(pack)}\n`);
    expect(counts.events).toBe(3);
    expect(JSON.parse(batches[0]!.bodies[0]!)).toMatchObject({ cluster: 'local', kind: 'event' });
  });

  it('reports a bad line with its number and goes on', async () => {
    const problems: string[] = [];
    const text = [
      JSON.stringify(failure('a', 0)),
      '{not json',
      '{"v":1,"pack":[{"v":1},{"v":2}]}',
      JSON.stringify(failure('b', 1)),
    ].join('\n');
    const { counts, batches } = await collect(text, {
      onProblem: (p) => problems.push(`${p.line}${p.entry === null ? '' : `/${p.entry}`}: ${p.message}`),
    });
    expect(counts).toMatchObject({ lines: 4, events: 2, invalid: 3 });
    expect(batches.flatMap((b) => b.bodies)).toHaveLength(2);
    expect(problems[0]).toMatch(/^2: /);
    expect(problems.slice(1).map((p) => p.slice(0, 4))).toEqual(['3/0:', '3/1:']);
  });

  it('a pipe that goes quiet hands over what it has; an abort ends the wait for more', async () => {
    const pipe = new PassThrough();
    const stop = new AbortController();
    const counts = emptyCounts();
    const feed = replayBatches(pipe, counts, { idleMs: 20, signal: stop.signal });
    pipe.write(`${JSON.stringify(failure('a', 0))}\n${JSON.stringify(failure('b', 0.1))}\n`);
    const first = await feed.next();
    expect(first.done).toBe(false);
    expect(first.value?.bodies).toHaveLength(2);
    const second = feed.next();
    stop.abort();
    expect((await second).done).toBe(true);
    expect(counts.events).toBe(2);
    pipe.destroy();
  });

  it('keeps only the chosen namespaces', async () => {
    const text = [failure('a', 0, 'shop'), failure('b', 0, 'payments'), failure('c', 0, 'shop')]
      .map((e) => JSON.stringify(e))
      .join('\n');
    const { counts, batches } = await collect(text, { namespaces: ['shop'] });
    expect(counts).toMatchObject({ events: 2, skipped: 1 });
    expect(batches.flatMap((b) => b.bodies).map((b) => JSON.parse(b).event.metadata.namespace)).toEqual([
      'shop',
      'shop',
    ]);
  });
});
