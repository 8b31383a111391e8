import { RULES, type Rule } from './rules.ts';

export interface RuleHit {
  rule: Rule;
  /** Where the evidence starts, as an index into the lower-cased text. */
  start: number;
}

export interface Matcher {
  /** Scans `lower` (the lower-cased message) and returns the first rule, in precedence order, that fires. */
  scan(lower: string): RuleHit | null;
  /** Whether the last scanned text contains `marker` (one of the markers the matcher was compiled with). */
  has(marker: string): boolean;
}

const BACK_WINDOW = 240;

interface CompiledRule {
  rule: Rule;
  /** Needle ids of `rule.any`, in the rule's order (the first present one starts the evidence). */
  needles: readonly number[];
}

/**
 * Compiles a rule table into one matcher. Every needle of every rule (and every framing marker) goes into
 * one Aho–Corasick automaton, built once here as a dense transition table: one pass over the message, a table
 * lookup per character, finds every needle occurrence (overlapping ones included). The rules are then checked
 * in precedence order against that set, so a message costs one scan instead of a few hundred `indexOf` calls —
 * what keeps classification within a small multiple of JSON.parse.
 */
export function compileRules(rules: readonly Rule[], markers: readonly string[] = []): Matcher {
  // Back anchors are needles too: after the scan, an anchor the message does not contain costs nothing.
  const texts = [...new Set([...rules.flatMap((rule) => [...rule.any, ...(rule.back ?? [])]), ...markers])];
  const idOf = new Map(texts.map((text, id) => [text, id]));
  const compiled: CompiledRule[] = rules.map((rule) => ({
    rule,
    needles: rule.any.map((text) => idOf.get(text) as number),
  }));
  const rulesOfNeedle: number[][] = texts.map(() => []);
  compiled.forEach(({ needles }, ruleIndex) => {
    for (const id of needles) (rulesOfNeedle[id] as number[]).push(ruleIndex);
  });
  const automaton = buildAutomaton(texts);
  // Per-call scratch without allocation: a needle (or rule) is marked when its stamp equals the generation.
  const needleStamps = new Uint32Array(texts.length);
  const ruleStamps = new Uint32Array(compiled.length);
  let generation = 0;

  const scan = (lower: string): RuleHit | null => {
    generation = generation === 0xffffffff ? 1 : generation + 1;
    if (generation === 1) {
      needleStamps.fill(0);
      ruleStamps.fill(0);
    }
    const { delta, classes, width, outStart, outIds } = automaton;
    let first = compiled.length;
    let state = 0;
    for (let i = 0; i < lower.length; i += 1) {
      const entry = delta[state * width + (classes[lower.charCodeAt(i)] as number)] as number;
      state = entry >>> 1;
      if ((entry & 1) === 0) continue;
      const to = outStart[state + 1] as number;
      for (let k = outStart[state] as number; k < to; k += 1) {
        const id = outIds[k] as number;
        if (needleStamps[id] === generation) continue;
        needleStamps[id] = generation;
        for (const ruleIndex of rulesOfNeedle[id] as number[]) {
          ruleStamps[ruleIndex] = generation;
          if (ruleIndex < first) first = ruleIndex;
        }
      }
    }
    for (let index = first; index < compiled.length; index += 1) {
      if (ruleStamps[index] !== generation) continue;
      const { rule, needles } = compiled[index] as CompiledRule;
      let at: number;
      if (rule.pattern) {
        const match = rule.pattern.exec(lower);
        if (!match) continue;
        at = match.index + leadingSeparators(match[0]);
      } else {
        let needle = needles[0] as number;
        for (const id of needles) {
          if (needleStamps[id] === generation) {
            needle = id;
            break;
          }
        }
        at = lower.indexOf(texts[needle] as string);
      }
      if (rule.last) at = lastOccurrence(lower, rule.any, at);
      return { rule, start: rule.back ? backUp(lower, at, rule.back, present) : at };
    }
    return null;
  };

  const present = (text: string): boolean => needleStamps[idOf.get(text) as number] === generation;

  const has = (marker: string): boolean => {
    const id = idOf.get(marker);
    if (id === undefined) throw new Error(`classify: ${marker} is not a compiled marker`);
    return needleStamps[id] === generation;
  };

  return { scan, has };
}

interface Automaton {
  /**
   * delta[state × width + class] = (next state << 1) | (1 when the next state ends a needle): one load and a
   * shift per character, and no output lookup unless a needle ends. 16 bits an entry keeps the table small
   * enough to stay in cache.
   */
  delta: Uint16Array | Uint32Array;
  /** UTF-16 code unit → character class (0: a character no needle contains). */
  classes: Uint8Array;
  width: number;
  /** Needles ending in state s: outIds[outStart[s] .. outStart[s + 1]). */
  outStart: Uint32Array;
  outIds: Uint32Array;
}

function buildAutomaton(texts: readonly string[]): Automaton {
  const classes = new Uint8Array(0x10000);
  let width = 1;
  for (const text of texts) {
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (code >= 128) throw new Error(`classify: rule needle ${JSON.stringify(text)} is not ASCII`);
      if (classes[code] === 0) {
        classes[code] = width;
        width += 1;
      }
    }
  }
  // The trie (goto function), then failure links breadth-first, then the dense table.
  const next: number[][] = [new Array<number>(width).fill(-1)];
  const ends: number[][] = [[]];
  texts.forEach((text, id) => {
    let state = 0;
    for (let i = 0; i < text.length; i += 1) {
      const cls = classes[text.charCodeAt(i)] as number;
      let child = (next[state] as number[])[cls] as number;
      if (child === -1) {
        child = next.length;
        next.push(new Array<number>(width).fill(-1));
        ends.push([]);
        (next[state] as number[])[cls] = child;
      }
      state = child;
    }
    (ends[state] as number[]).push(id);
  });
  const states = next.length;
  const fail = new Array<number>(states).fill(0);
  const delta = new Int32Array(states * width);
  const queue: number[] = [];
  for (let cls = 0; cls < width; cls += 1) {
    const child = (next[0] as number[])[cls] as number;
    delta[cls] = child === -1 ? 0 : child;
    if (child !== -1) queue.push(child);
  }
  for (let head = 0; head < queue.length; head += 1) {
    const state = queue[head] as number;
    // A state also reports what its longest proper suffix (its failure state) reports.
    (ends[state] as number[]).push(...(ends[fail[state] as number] as number[]));
    for (let cls = 0; cls < width; cls += 1) {
      const child = (next[state] as number[])[cls] as number;
      const viaFail = delta[(fail[state] as number) * width + cls] as number;
      if (child === -1) {
        delta[state * width + cls] = viaFail;
      } else {
        delta[state * width + cls] = child;
        fail[child] = viaFail;
        queue.push(child);
      }
    }
  }
  const outStart = new Uint32Array(states + 1);
  const flat: number[] = [];
  for (let state = 0; state < states; state += 1) {
    outStart[state] = flat.length;
    flat.push(...(ends[state] as number[]));
  }
  outStart[states] = flat.length;
  const encoded = states < 0x8000 ? new Uint16Array(states * width) : new Uint32Array(states * width);
  for (let i = 0; i < encoded.length; i += 1) {
    const target = delta[i] as number;
    const final = (outStart[target + 1] as number) > (outStart[target] as number) ? 1 : 0;
    encoded[i] = (target << 1) | final;
  }
  return { delta: encoded, classes, width, outStart, outIds: Uint32Array.from(flat) };
}

/** Scans for the first rule of RULES (in precedence order) that fires on `lower`, the lower-cased message. */
export function findCause(lower: string): RuleHit | null {
  return defaultMatcher.scan(lower);
}

const defaultMatcher = compileRules(RULES);

function lastOccurrence(lower: string, needles: readonly string[], fallback: number): number {
  let last = fallback;
  for (const needle of needles) {
    const i = lower.lastIndexOf(needle);
    if (i > last) last = i;
  }
  return last;
}

/** STATUS-style patterns consume the separator before the digits; the evidence starts at the digits. */
function leadingSeparators(text: string): number {
  let i = 0;
  while (i < text.length && ' \t\n([='.includes(text.charAt(i))) i += 1;
  return i;
}

/** Moves the start back to the earliest anchor (`dial tcp`, `lookup `…) within BACK_WINDOW characters. */
function backUp(
  lower: string,
  at: number,
  anchors: readonly string[],
  present: (text: string) => boolean,
): number {
  let start = at;
  for (const anchor of anchors) {
    if (!present(anchor)) continue;
    const i = lower.lastIndexOf(anchor, at);
    if (i !== -1 && at - i <= BACK_WINDOW && i < start) start = i;
  }
  return start;
}
