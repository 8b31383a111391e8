/** Long enough for a Go error chain's innermost clauses, short enough for a Slack field and a log line. */
export const EVIDENCE_MAX = 300;

// The query ends at whitespace or a quote; a `:` or `,` just before that belongs to the sentence, not the URL.
const URL_QUERY = /(https?:\/\/[^\s"'?]+)\?[^\s"']*?(?=[:,;)]*(?:[\s"']|$))/g;
const URL_USERINFO = /(https?:\/\/)[^\s"'/@]+@/g;

/**
 * The part of the message that decided the cause: from `start` to the end of that line, at most
 * EVIDENCE_MAX characters. URL query strings and user-info are masked: registries and CDNs put signed tokens
 * there (S3 `X-Amz-Signature`, Docker Hub's `verify=`), and evidence travels to logs and Slack.
 */
export function evidenceAt(message: string, lower: string, start: number): string {
  // toLowerCase can change the length of a few non-ASCII strings; then the offsets only fit `lower`.
  const text = lower.length === message.length ? message : lower;
  let end = text.indexOf('\n', start);
  if (end === -1) end = text.length;
  let slice = trimDebris(text.slice(start, end).replace(/^[\s"':]+/, ''));
  if (slice.length > EVIDENCE_MAX) slice = `${slice.slice(0, EVIDENCE_MAX - 1)}…`;
  return redact(slice);
}

/**
 * Drops the Go %q / JSON framing a clause ends with when cut out of its message (`…authority"}`, `…\n"`),
 * but keeps quotes and brackets the evidence itself opened (`… or may require 'docker login'`).
 */
function trimDebris(slice: string): string {
  let text = slice.trimEnd();
  for (;;) {
    const last = text.charAt(text.length - 1);
    if (text.endsWith('\\n')) text = text.slice(0, -2);
    else if (last === '\\') text = text.slice(0, -1);
    else if ((last === '"' || last === "'") && count(text, last) % 2 === 1) text = text.slice(0, -1);
    else if (last === '}' && count(text, '}') > count(text, '{')) text = text.slice(0, -1);
    else if (last === ']' && count(text, ']') > count(text, '[')) text = text.slice(0, -1);
    else return text.trimEnd();
    text = text.trimEnd();
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n += 1;
  return n;
}

export function redact(text: string): string {
  if (!text.includes('://')) return text;
  return text.replace(URL_USERINFO, '$1…@').replace(URL_QUERY, '$1?…');
}
