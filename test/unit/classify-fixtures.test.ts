import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAUSES, categoryOf, classify, EVIDENCE_MAX } from '../../lib/classify/index.ts';

interface Row {
  message: string;
  reason: string;
  runtime: string;
  cause: string;
  image: string;
  source: string;
  note: string;
}

function load(name: string): Row[] {
  const url = new URL(`../fixtures/${name}`, import.meta.url);
  return readFileSync(url, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Row);
}

const corpus = load('pull-failures.jsonl');
const extra = load('classify-extra.jsonl');
const heldout = load('classify-heldout.jsonl');

function label(row: Row, index: number): string {
  return `#${index + 1} ${row.cause} (${row.runtime}): ${row.message.slice(0, 90)}`;
}

function checkRow(row: Row): void {
  const result = classify({ reason: row.reason, message: row.message });
  expect(result.cause).toBe(row.cause);
  expect(result.category).toBe(categoryOf(result.cause));
  if (row.cause !== 'none') expect(['pull_failure', 'pull_backoff']).toContain(result.kind);
  if (row.cause !== 'none' && row.cause !== 'unknown') {
    expect(result.evidence.length).toBeGreaterThan(0);
    expect(result.evidence.length).toBeLessThanOrEqual(EVIDENCE_MAX);
    // Evidence is cut from the message; only URL queries are masked, so outside them it is verbatim.
    const head = result.evidence.split('?…')[0]?.replace(/…$/, '') ?? '';
    expect(row.message).toContain(head);
  }
  // When the message quotes the pod's image, that quote is what imageText reports.
  if (
    row.image &&
    (row.message.includes(`image "${row.image}"`) || row.message.includes(`tag "${row.image}"`))
  ) {
    expect(result.imageText).toBe(row.image);
  }
}

describe('shared corpus (test/fixtures/pull-failures.jsonl)', () => {
  it('has the 89 labelled messages', () => {
    expect(corpus).toHaveLength(89);
  });
  corpus.forEach((row, index) => {
    it(label(row, index), () => checkRow(row));
  });
});

describe('extra real wordings (test/fixtures/classify-extra.jsonl)', () => {
  it('has at least 40 messages, none copied from the corpus, each with a source', () => {
    expect(extra.length).toBeGreaterThanOrEqual(40);
    const corpusMessages = new Set(corpus.map((row) => row.message));
    for (const row of extra) {
      expect(corpusMessages.has(row.message)).toBe(false);
      expect(row.source.trim()).not.toBe('');
      expect(CAUSES).toContain(row.cause);
    }
  });

  it('covers every cause id and every runtime', () => {
    expect(new Set(extra.map((row) => row.cause))).toEqual(new Set(CAUSES));
    const runtimes = new Set(extra.map((row) => row.runtime));
    for (const runtime of ['containerd', 'cri-o', 'docker']) expect(runtimes).toContain(runtime);
  });

  extra.forEach((row, index) => {
    it(label(row, index), () => checkRow(row));
  });
});

describe('held-out real wordings (test/fixtures/classify-heldout.jsonl)', () => {
  it('has at least 80 sourced messages, none copied from the other fixtures', () => {
    expect(heldout.length).toBeGreaterThanOrEqual(80);
    const earlier = new Set([...corpus, ...extra].map((row) => row.message));
    const own = new Set<string>();
    for (const row of heldout) {
      expect(earlier.has(row.message), row.message).toBe(false);
      expect(own.has(row.message), row.message).toBe(false);
      own.add(row.message);
      expect(row.source).toMatch(/^https:\/\//);
      expect(CAUSES).toContain(row.cause);
    }
  });

  it('covers every cause id and every runtime', () => {
    expect(new Set(heldout.map((row) => row.cause))).toEqual(new Set(CAUSES));
    const runtimes = new Set(heldout.map((row) => row.runtime));
    for (const runtime of ['containerd', 'cri-o', 'docker']) expect(runtimes).toContain(runtime);
  });

  heldout.forEach((row, index) => {
    it(label(row, index), () => checkRow(row));
  });
});

/** `owner/repo#n` for a GitHub issue or pull request, however the fixture spelled its source. */
function issueKey(source: string): string | null {
  const match = /(?:github\.com\/)?([\w.-]+\/[\w.-]+)(?:\/(?:issues|pull|discussions)\/|#)(\d+)/.exec(source);
  return match ? `${match[1]?.toLowerCase()}#${match[2]}` : null;
}

/**
 * The later held-out rounds, in order: each file holds new real messages, none copied from any file before it.
 * `crioShare`: the least share of CRI-O / containers-image wordings the round set out to add; `newIssues`: the
 * round also took its messages from issues no earlier round used.
 */
const LATER_ROUNDS: Array<{ round: number; file: string; crioShare?: number; newIssues?: boolean }> = [
  { round: 2, file: 'classify-heldout2.jsonl' },
  { round: 3, file: 'classify-heldout3.jsonl' },
  { round: 4, file: 'classify-heldout4.jsonl', crioShare: 0.5 },
  { round: 5, file: 'classify-heldout5.jsonl', newIssues: true },
  { round: 6, file: 'classify-heldout6.jsonl', newIssues: true },
  { round: 7, file: 'classify-heldout7.jsonl', newIssues: true },
];

let before: Row[] = [...corpus, ...extra, ...heldout];
for (const { round, file, crioShare, newIssues } of LATER_ROUNDS) {
  const rows = load(file);
  const earlier = before;
  before = [...before, ...rows];

  describe(`held-out round ${round} (test/fixtures/${file})`, () => {
    it('has at least 40 sourced messages, none copied from the earlier fixtures', () => {
      expect(rows.length).toBeGreaterThanOrEqual(40);
      const earlierMessages = new Set(earlier.map((row) => row.message));
      const own = new Set<string>();
      for (const row of rows) {
        expect(earlierMessages.has(row.message), row.message).toBe(false);
        expect(own.has(row.message), row.message).toBe(false);
        own.add(row.message);
        expect(row.source).toMatch(/^https:\/\//);
        expect(CAUSES).toContain(row.cause);
      }
    });

    it('spans every runtime', () => {
      const runtimes = new Set(rows.map((row) => row.runtime));
      for (const runtime of ['containerd', 'cri-o', 'docker']) expect(runtimes).toContain(runtime);
      if (crioShare !== undefined) {
        const crio = rows.filter((row) => row.runtime === 'cri-o').length;
        expect(crio).toBeGreaterThanOrEqual(rows.length * crioShare);
      }
    });

    if (newIssues) {
      it('comes from issues no earlier round used', () => {
        const used = new Set(earlier.map((row) => issueKey(row.source)).filter((key) => key !== null));
        for (const row of rows) expect(used.has(issueKey(row.source) ?? ''), row.source).toBe(false);
      });
    }

    rows.forEach((row, index) => {
      it(label(row, index), () => checkRow(row));
    });
  });
}
