/**
 * The `rel="next"` target of a `Link` header (distribution spec tag pagination:
 * `</v2/team/api/tags/list?n=100&last=v9>; rel="next"`), resolved against the URL that was fetched.
 */
export function nextLink(header: string | string[] | undefined, base: string): string | null {
  if (header === undefined) return null;
  const text = Array.isArray(header) ? header.join(', ') : header;
  const pattern = /<([^>]*)>\s*((?:;\s*[^;,]+)*)/g;
  for (const match of text.matchAll(pattern)) {
    const params = match[2] ?? '';
    if (/;\s*rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(params)) {
      try {
        return new URL(match[1] ?? '', base).toString();
      } catch {
        return null;
      }
    }
  }
  return null;
}
