import { readFileSync } from 'node:fs';
import { parseImageReference, tryParseImageReference } from '../lib/image/index.ts';
import type { BenchRow } from './table.ts';

/**
 * Image-reference parsing throughput over the images quoted in the shared corpus. The parser runs for every
 * classified message (often for two or three quoted references), so it gets its own row beside the
 * classifier's 200,000 messages/s target: 600,000 references/s leaves the classifier its budget.
 */
const TARGET_REFS_PER_SECOND = 600_000;
const MIN_PARSES = 300_000;

function corpusImages(): string[] {
  const lines = readFileSync(new URL('../test/fixtures/pull-failures.jsonl', import.meta.url), 'utf8').split(
    '\n',
  );
  const images = new Set<string>();
  for (const line of lines) {
    if (line.trim() === '') continue;
    const image = (JSON.parse(line) as { image?: unknown }).image;
    if (typeof image === 'string' && image !== '') images.add(image);
  }
  return [...images];
}

/** Parses per second over `inputs` cycled to at least MIN_PARSES calls, after a warm-up pass. */
function measure(inputs: readonly string[], parseOne: (input: string) => unknown): number {
  let sink = 0;
  const rounds = Math.ceil(MIN_PARSES / inputs.length);
  for (let i = 0; i < 2_000; i++) sink += parseOne(inputs[i % inputs.length] ?? '') === null ? 0 : 1;
  const start = performance.now();
  for (let round = 0; round < rounds; round++) {
    for (const input of inputs) sink += parseOne(input) === null ? 0 : 1;
  }
  const seconds = (performance.now() - start) / 1000;
  if (sink < 0) process.stderr.write('unreachable\n');
  return (rounds * inputs.length) / seconds;
}

function failing(input: string): unknown {
  try {
    return parseImageReference(input);
  } catch (err) {
    return err;
  }
}

export async function run(): Promise<BenchRow[]> {
  const images = corpusImages();
  const valid = images.filter((image) => tryParseImageReference(image) !== null);
  const invalid = images.filter((image) => tryParseImageReference(image) === null);
  const validRate = measure(valid, parseImageReference);
  const invalidRate = measure(invalid, failing);
  const rejectRate = measure(invalid, tryParseImageReference);
  const hostile = `${'a-'.repeat(500_000)}!`;
  const hostileStart = performance.now();
  failing(hostile);
  const hostileMs = performance.now() - hostileStart;
  return [
    {
      area: 'image',
      metric: `parseImageReference, valid corpus refs (${valid.length} distinct)`,
      value: validRate,
      unit: 'refs/s',
      target: `≥ ${TARGET_REFS_PER_SECOND.toLocaleString('en-US')}`,
      ok: validRate >= TARGET_REFS_PER_SECOND,
    },
    {
      area: 'image',
      metric: `parseImageReference, invalid corpus refs (${invalid.length} distinct, error explained)`,
      value: invalidRate,
      unit: 'refs/s',
    },
    {
      area: 'image',
      metric: `tryParseImageReference, invalid corpus refs (null, no error built)`,
      value: rejectRate,
      unit: 'refs/s',
    },
    {
      area: 'image',
      metric: 'one hostile 1 MB reference (linear scan, error built)',
      value: hostileMs,
      unit: 'ms',
    },
  ];
}
