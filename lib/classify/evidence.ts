/** Long enough for a Go error chain's innermost clauses, short enough for a Slack field and a log line. */
export const EVIDENCE_MAX = 300;

// The query ends at whitespace or a quote; a `:` or `,` just before that belongs to the sentence, not the URL.
const URL_QUERY = /(https?:\/\/[^\s"'?]+)\?[^\s"']*?(?=[:,;)]*(?:[\s"']|$))/g;
const URL_USERINFO = /(https?:\/\/)[^\s"'/@]+@/g;
const LEADING_DEBRIS = ' \t"\':';

/**
 * The part of the message that decided the cause: from `start` to the end of that line, at most
 * EVIDENCE_MAX characters. URL query strings and user-info are masked: registries and CDNs put signed tokens
 * there (S3 `X-Amz-Signature`, Docker Hub's `verify=`), and evidence travels to logs and Slack.
 */
export function evidenceAt(message: string, lower: string, start: number): string {
  // toLowerCase can change the length of a few non-ASCII strings; then the offsets only fit `lower`.
  const text = lower.length === message.length ? message : lower;
  let from = start;
  let to = text.indexOf('\n', start);
  if (to === -1) to = text.length;
  while (from < to && LEADING_DEBRIS.includes(text.charAt(from))) from += 1;
  to = trimDebris(text, from, to);
  let slice = text.slice(from, Math.min(to, from + EVIDENCE_MAX));
  if (to - from > EVIDENCE_MAX) slice = `${slice.slice(0, EVIDENCE_MAX - 1)}…`;
  return redact(slice);
}

/**
 * Where the clause ends once the Go %q / JSON framing it was cut from is dropped (`…authority"}`, `…\\n"`),
 * keeping quotes and brackets the evidence itself opened (`… or may require 'docker login'`). Indices only:
 * this runs for every classified message, so it allocates nothing.
 */
function trimDebris(text: string, from: number, end: number): number {
  let to = end;
  for (;;) {
    while (to > from && isSpace(text.charCodeAt(to - 1))) to -= 1;
    const last = text.charAt(to - 1);
    if (to - from >= 2 && last === 'n' && text.charAt(to - 2) === '\\') to -= 2;
    else if (last === '\\') to -= 1;
    else if ((last === '"' || last === "'") && count(text, last, from, to) % 2 === 1) to -= 1;
    else if (last === '}' && count(text, '}', from, to) > count(text, '{', from, to)) to -= 1;
    else if (last === ']' && count(text, ']', from, to) > count(text, '[', from, to)) to -= 1;
    else return to;
  }
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

function count(text: string, char: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf(char, from); i !== -1 && i < to; i = text.indexOf(char, i + 1)) n += 1;
  return n;
}

export function redact(text: string): string {
  // Most evidence has no URL, or a URL with neither user-info nor a query: skip the regexes then.
  if (!text.includes('://')) return text;
  const masked = text.includes('@') ? text.replace(URL_USERINFO, '$1…@') : text;
  return masked.includes('?') ? masked.replace(URL_QUERY, '$1?…') : masked;
}
