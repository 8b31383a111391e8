import type { Rule } from './rules.ts';

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

/**
 * Built at every cold start, so it must be cheap: the trie keeps child lists (a needle character at a time),
 * and each state's row of the table starts as a native copy of its failure state's row — the usual
 * `delta[s][c] = delta[fail(s)][c]` — with only the state's own children written on top, instead of a loop
 * over every state × class.
 */
function buildAutomaton(texts: readonly string[]): Automaton {
  const classes = new Uint8Array(0x10000);
  let width = 1;
  let chars = 0;
  for (const text of texts) {
    chars += text.length;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (code >= 128) throw new Error(`classify: rule needle ${JSON.stringify(text)} is not ASCII`);
      if (classes[code] === 0) {
        classes[code] = width;
        width += 1;
      }
    }
  }
  // The trie (goto function) as child lists: state ids in insertion order, as a dense build would number them.
  const firstChild = new Int32Array(chars + 1).fill(-1);
  const nextSibling = new Int32Array(chars + 1).fill(-1);
  const classOf = new Uint8Array(chars + 1);
  const own: number[][] = [];
  let states = 1;
  texts.forEach((text, id) => {
    let state = 0;
    for (let i = 0; i < text.length; i += 1) {
      const cls = classes[text.charCodeAt(i)] as number;
      let child = firstChild[state] as number;
      while (child !== -1 && classOf[child] !== cls) child = nextSibling[child] as number;
      if (child === -1) {
        child = states;
        states += 1;
        classOf[child] = cls;
        nextSibling[child] = firstChild[state] as number;
        firstChild[state] = child;
      }
      state = child;
    }
    own[state] = [...(own[state] ?? []), id];
  });
  // Failure links breadth-first; a state's outputs are its own needles, then its failure state's outputs.
  const delta = states < 0x8000 ? new Uint16Array(states * width) : new Uint32Array(states * width);
  const fail = new Int32Array(states);
  const ends: number[][] = new Array<number[]>(states);
  ends[0] = own[0] ?? [];
  if (ends[0].length > 0) delta.fill(1, 0, width);
  const queue = new Int32Array(states);
  let tail = 0;
  for (let child = firstChild[0] as number; child !== -1; child = nextSibling[child] as number) {
    const out = [...(own[child] ?? []), ...ends[0]];
    ends[child] = out;
    delta[classOf[child] as number] = (child << 1) | (out.length > 0 ? 1 : 0);
    queue[tail++] = child;
  }
  for (let head = 0; head < tail; head += 1) {
    const state = queue[head] as number;
    const row = state * width;
    const failRow = (fail[state] as number) * width;
    delta.copyWithin(row, failRow, failRow + width);
    for (let child = firstChild[state] as number; child !== -1; child = nextSibling[child] as number) {
      const cls = classOf[child] as number;
      const viaFail = (delta[failRow + cls] as number) >>> 1;
      fail[child] = viaFail;
      const needles = own[child];
      const out = needles ? [...needles, ...(ends[viaFail] as number[])] : (ends[viaFail] as number[]);
      ends[child] = out;
      delta[row + cls] = (child << 1) | (out.length > 0 ? 1 : 0);
      queue[tail++] = child;
    }
  }
  const outStart = new Uint32Array(states + 1);
  const flat: number[] = [];
  for (let state = 0; state < states; state += 1) {
    outStart[state] = flat.length;
    for (const id of ends[state] as number[]) flat.push(id);
  }
  outStart[states] = flat.length;
  return { delta, classes, width, outStart, outIds: Uint32Array.from(flat) };
}

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

/**
 * Moves the start back to the earliest anchor (`dial tcp`, `lookup `…) within BACK_WINDOW characters, never
 * to an earlier line: evidence runs to the end of its line, so an anchor above a line break (a wrapped paste,
 * a multi-line log) would lose the very clause that decided.
 */
function backUp(
  lower: string,
  at: number,
  anchors: readonly string[],
  present: (text: string) => boolean,
): number {
  const lineStart = at > 0 ? lower.lastIndexOf('\n', at - 1) : -1;
  let start = at;
  for (const anchor of anchors) {
    if (!present(anchor)) continue;
    const i = lower.lastIndexOf(anchor, at);
    if (i > lineStart && at - i <= BACK_WINDOW && i < start) start = i;
  }
  return start;
}
