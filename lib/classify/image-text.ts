/**
 * Finds the image a kubelet or runtime message is about, exactly as the message quoted it. kubelet quotes it
 * with Go's %q right after a phrase ending in `image`, `tag`, `reference` or `name` (`Failed to pull image
 * "x"`, `Failed to apply default image tag "x"`, `couldn't parse image name "x"`, `failed to resolve
 * reference "x"`); inside FailedSync events and container statuses the quotes arrive escaped (`\"x\"`).
 */
const LEAD_WORDS = ['image', 'tag', 'reference', 'name'] as const;
const MAX_QUOTES = 8;

/** Unquoted mentions, each with the lower-case phrase that must be present before its pattern is tried. */
const UNQUOTED: readonly (readonly [string, RegExp])[] = [
  // kubelet's RegistryUnavailable / SignatureValidationFailed message and dockershim-era FailedSync texts.
  ['image pull failed for ', /image pull failed for ([^\s,"]+?)(?:,|\s+because|\s*$)/i],
  // containers/image (CRI-O): `initializing source docker://registry/repo:tag: reading manifest …`.
  ['initializing source docker://', /initializing source docker:\/\/([^\s"]+?):\s/i],
  // dockershim: `manifest for repo:tag not found`, `pull access denied for repo, …`.
  ['manifest for ', /manifest for ([^\s"]+) not found/i],
  ['pull access denied for ', /pull access denied for ([^\s,"]+)/i],
];

export function findImageText(message: string, lower: string): string | null {
  let from = 0;
  for (let n = 0; n < MAX_QUOTES; n += 1) {
    const quote = message.indexOf('"', from);
    if (quote === -1) break;
    if (leadsImage(lower, quote)) {
      const close = endOfQuoted(message, quote + 1);
      return message.slice(quote + 1, close);
    }
    from = quote + 1;
  }
  for (const [phrase, pattern] of UNQUOTED) {
    if (!lower.includes(phrase)) continue;
    const match = pattern.exec(message);
    if (match?.[1]) return match[1];
  }
  return null;
}

/** Whether the quote at `quote` follows `image `, `tag `, `reference ` or `name ` (optionally `\\`-escaped). */
function leadsImage(lower: string, quote: number): boolean {
  let end = quote;
  if (lower.charCodeAt(end - 1) === 92 /* \\ */) end -= 1;
  if (lower.charCodeAt(end - 1) !== 32 /* space */) return false;
  end -= 1;
  return LEAD_WORDS.some((word) => lower.startsWith(word, end - word.length));
}

function endOfQuoted(message: string, from: number): number {
  for (let i = from; i < message.length; i += 1) {
    const c = message.charCodeAt(i);
    if (c === 34 /* " */ || c === 92 /* \ */ || c === 10 /* \n */) return i;
  }
  return message.length;
}

/** Everything after the quoted image: what a `Back-off pulling image "x"` message adds about the cause. */
export function textAfterImage(message: string, imageText: string | null): string {
  if (imageText === null) return '';
  const at = message.indexOf(imageText);
  if (at === -1) return '';
  return message
    .slice(at + imageText.length)
    .replace(/^[\\"]+/, '')
    .replace(/^[\s:]+/, '')
    .replace(/[\\"\s]+$/, '');
}

/** The registry host of the first registry URL in the message, for messages that quote no image. */
export function registryHostFromUrl(message: string): string | null {
  const match = /https?:\/\/([^/\s"'?@]+)\/v[12]\//.exec(message);
  return match?.[1]?.toLowerCase() ?? null;
}
