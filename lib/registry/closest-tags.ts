/**
 * Closest existing tags to a missing one. Tags are mostly versions, so a tag of the same shape (`v1.4.2`
 * vs `v1.4.1`: the same letters and separators around the numbers) ranks by how many leading numbers it
 * shares and then by numeric distance; anything else ranks by edit distance and common prefix. Ties go to
 * the higher version, so "closest" also means "newest" among equals. Signature and attestation tags
 * (cosign's `sha256-….sig`) are never suggested.
 */

const ARTIFACT_TAG = /^sha256-[0-9a-f]{64}(\.[a-z]+)?$/;

interface Shape {
  skeleton: string;
  numbers: number[];
}

function shape(tag: string): Shape {
  const numbers: number[] = [];
  const skeleton = tag.toLowerCase().replace(/\d+/g, (digits) => {
    numbers.push(Number(digits));
    return '#';
  });
  return { skeleton, numbers };
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      row[j] = Math.min(above + 1, (row[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function numericScore(a: number[], b: number[]): number {
  let shared = 0;
  while (shared < a.length && shared < b.length && a[shared] === b[shared]) shared++;
  const distance = Math.abs((a[shared] ?? 0) - (b[shared] ?? 0));
  return shared + 1 / (1 + distance);
}

/** Higher is closer. Same-shape versions score ≥ 2, versions with one more/less component ≥ 1.5, others < 1. */
export function tagSimilarity(wanted: string, candidate: string): number {
  const w = shape(wanted);
  const c = shape(candidate);
  if (w.numbers.length > 0 && c.numbers.length > 0) {
    if (w.skeleton === c.skeleton) return 2 + numericScore(w.numbers, c.numbers);
    if (w.skeleton.startsWith(c.skeleton) || c.skeleton.startsWith(w.skeleton)) {
      return 1.5 + numericScore(w.numbers, c.numbers) / 10;
    }
  }
  const a = wanted.toLowerCase();
  const b = candidate.toLowerCase();
  const longest = Math.max(a.length, b.length, 1);
  return 0.7 * (1 - editDistance(a, b) / longest) + 0.3 * (commonPrefix(a, b) / longest);
}

/** Natural order: `v10` after `v9`. */
export function compareNatural(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true, sensitivity: 'base' });
}

export function closestTags(wanted: string, tags: readonly string[], limit = 5): string[] {
  const candidates = [...new Set(tags)].filter(
    (tag) => tag !== wanted && (!ARTIFACT_TAG.test(tag) || ARTIFACT_TAG.test(wanted)),
  );
  return candidates
    .map((tag) => ({ tag, score: tagSimilarity(wanted, tag) }))
    .sort((x, y) => y.score - x.score || compareNatural(y.tag, x.tag))
    .slice(0, limit)
    .map((entry) => entry.tag);
}
