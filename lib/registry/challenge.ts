/** One `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export interface AuthChallenge {
  /** Lower case: `basic`, `bearer`, or whatever else a server sent. */
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` value (RFC 7235: several challenges may share one header, separated by
 * commas, and parameter values may be quoted with backslash escapes). Unparseable tails are dropped, never
 * thrown: a registry's odd header must not break the probe.
 */
export function parseChallenges(header: string | string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = Array.isArray(header) ? header : [header];
  return values.flatMap(parseOne);
}

function parseOne(text: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < text.length && chars.test(text[i] ?? '')) i++;
  };
  const token = () => {
    const start = i;
    while (i < text.length && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(text[i] ?? '')) i++;
    return text.slice(start, i);
  };
  let current: AuthChallenge | null = null;
  while (i < text.length) {
    skip(/[\s,]/);
    const name = token();
    if (name === '') break;
    skip(/[ \t]/);
    if (text[i] === '=' && current) {
      i++;
      skip(/[ \t]/);
      let value: string;
      if (text[i] === '"') {
        i++;
        let buffer = '';
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          buffer += text[i];
          i++;
        }
        i++;
        value = buffer;
      } else {
        // Unquoted values are tokens by the RFC, but servers put scopes and URLs there: read to the comma.
        const start = i;
        while (i < text.length && !/[\s,]/.test(text[i] ?? '')) i++;
        value = text.slice(start, i);
      }
      current.params[name.toLowerCase()] = value;
    } else if (text[i] === '=') {
      break;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** The challenge the probe answers: Bearer over Basic (a registry offering both prefers tokens). */
export function pickChallenge(challenges: AuthChallenge[]): AuthChallenge | null {
  return (
    challenges.find((c) => c.scheme === 'bearer' && c.params.realm) ??
    challenges.find((c) => c.scheme === 'basic') ??
    challenges[0] ??
    null
  );
}
