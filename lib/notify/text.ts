/**
 * Text helpers shared by the Slack and SNS builders. Every value that reaches a message comes from a cluster
 * (names, images, kubelet text), so it is escaped before it is formatted and clipped after, without ever
 * cutting an entity, a Slack token or a surrogate pair in half.
 */

export const ELLIPSIS = '…';

/** Cut `text` to at most `max` UTF-16 units (Slack's and our own limits count them), marking the cut. */
export function clip(text: string, max: number, ellipsis = ELLIPSIS): string {
  if (text.length <= max) return text;
  if (max <= ellipsis.length) return safeSlice(text, Math.max(0, max));
  return safeSlice(text, max - ellipsis.length) + ellipsis;
}

/** `text.slice(0, end)` that never leaves half of a surrogate pair at the end. */
export function safeSlice(text: string, end: number): string {
  let cut = Math.min(end, text.length);
  if (cut > 0 && cut < text.length && isHighSurrogate(text.charCodeAt(cut - 1))) cut -= 1;
  return text.slice(0, cut);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Slack mrkdwn control characters: only these three need escaping (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A value shown as inline code: formatting characters inside it stay literal. */
export function inlineCode(value: string, max = 200): string {
  const flat = clip(value.replace(/`/g, "'").replace(/\s+/g, ' ').trim(), max);
  return flat === '' ? '`-`' : `\`${escapeMrkdwn(flat)}\``;
}

/** A command shown as a code block; a fence inside the command would end the block early. */
export function codeBlock(command: string): string {
  return `\`\`\`${escapeMrkdwn(command.replace(/```/g, "'''"))}\`\`\``;
}

/** A quoted block of untrusted text (kubelet's message). */
export function quote(text: string, max: number): string {
  const lines = clip(text.trim(), max).split(/\r?\n/);
  return lines.map((line) => `>${escapeMrkdwn(line)}`).join('\n');
}

/**
 * Clip mrkdwn that was already escaped and formatted: the cut backs off out of an `&…;` entity, a `<…>`
 * token (links, mentions, dates) and a run of backticks, and closes a code fence it leaves open.
 */
export function clipMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  const fenceClose = '\n```';
  let cut = Math.max(0, max - ELLIPSIS.length - fenceClose.length);
  const amp = text.lastIndexOf('&', cut - 1);
  if (amp >= 0 && cut - amp <= 8 && !text.slice(amp, cut).includes(';')) cut = amp;
  const open = text.lastIndexOf('<', cut - 1);
  if (open >= 0 && !text.slice(open, cut).includes('>')) cut = open;
  while (cut > 0 && text[cut - 1] === '`') cut -= 1;
  const head = safeSlice(text, cut);
  const fences = head.split('```').length - 1;
  return `${head}${ELLIPSIS}${fences % 2 === 1 ? fenceClose : ''}`;
}

/** Strip everything but printable ASCII (SNS subjects accept nothing else) and collapse whitespace. */
export function toPrintableAscii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\s]+/g, ' ')
    .replace(/[^\x20-\x7e]/gu, '?')
    .trim();
}

/** `3 h 20 min`, `45 s`, `2 d 4 h`: how long something has lasted, to the two largest units. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** `1 h`, `4 h`, `24 h`, `30 min`: a snooze length for a button label. */
export function formatSnooze(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** Milliseconds since the epoch, or null when the text is not a timestamp. */
export function parseTime(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

/** `2026-11-01 10:00 UTC`: readable everywhere, no timezone guessing. */
export function formatUtc(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/**
 * A Slack date token: each reader sees the time in their own timezone; clients that cannot render it show the
 * UTC fallback. Text that is not a timestamp is shown escaped as it is.
 */
export function slackDate(iso: string | null | undefined, format = '{date_short_pretty} {time}'): string {
  const ms = parseTime(iso);
  if (ms === null) return escapeMrkdwn(clip(iso ?? '-', 64));
  return `<!date^${Math.floor(ms / 1000)}^${format}|${formatUtc(ms)}>`;
}

/** `3 pods`, `1 pod`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? one : many}`;
}

/** A shell word: left bare when it is safe, single-quoted otherwise, so a copied command does what it says. */
export function shellArg(value: string): string {
  if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
