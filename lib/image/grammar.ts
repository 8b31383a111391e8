/**
 * The distribution/reference grammar (regexp.go), as hand-written linear scanners over index ranges.
 *
 *   reference     := name [ ":" tag ] [ "@" digest ]
 *   name          := [domain '/'] remote-name
 *   domain        := host [':' port-number]
 *   host          := domain-name | '[' IPv6 chars ']'
 *   domain-name   := domain-component ['.' domain-component]*
 *   domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
 *   remote-name   := path-component ['/' path-component]*
 *   path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator := '.' | '_' | '__' | '-'+
 *   tag           := [\w][\w.-]{0,127}
 *   digest        := [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [0-9a-fA-F]{32,}
 *   identifier    := [a-f0-9]{64}
 *
 * Why scanners and not the upstream regexps: upstream runs on RE2 (linear time); JavaScript regexps
 * backtrack, and the domain-component alternation is quadratic on long hostile input. Every function here
 * is one left-to-right pass, allocates nothing, and works on [start, end) so callers never slice.
 */

/** Upstream RepositoryNameTotalLengthMax: the limit applies to the repository path, not domain + path. */
export const REPOSITORY_NAME_TOTAL_LENGTH_MAX = 255;
export const TAG_MAX_LENGTH = 128;
export const IDENTIFIER_LENGTH = 64;
/** The digest pattern's minimum hex length (128 bits). */
export const DIGEST_MIN_HEX = 32;

const SLASH = 0x2f;
const COLON = 0x3a;
const DOT = 0x2e;
const DASH = 0x2d;
const UNDERSCORE = 0x5f;
const PLUS = 0x2b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

// Character classes as bit flags in a table indexed by UTF-16 code unit: one load and one AND per test.
const LOWER_ALNUM = 1;
const ALNUM = 2;
const DIGIT = 4;
const WORD = 8;
const HEX = 16;
const LOWER_HEX = 32;
const DOMAIN_NAME = 64;
const LETTER = 128;

const CLASSES = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  const lower = c >= 0x61 && c <= 0x7a;
  const upper = c >= 0x41 && c <= 0x5a;
  const digit = c >= 0x30 && c <= 0x39;
  let flags = 0;
  if (lower || digit) flags |= LOWER_ALNUM;
  if (lower || upper || digit) flags |= ALNUM | DOMAIN_NAME | WORD;
  if (digit) flags |= DIGIT;
  if (c === UNDERSCORE) flags |= WORD;
  if (digit || (c >= 0x61 && c <= 0x66)) flags |= HEX | LOWER_HEX;
  if (c >= 0x41 && c <= 0x46) flags |= HEX;
  if (c === DASH || c === DOT) flags |= DOMAIN_NAME;
  if (lower || upper) flags |= LETTER;
  CLASSES[c] = flags;
}

function isDigit(c: number): boolean {
  return (CLASSES[c]! & DIGIT) !== 0;
}

export function isLowerAlnum(c: number): boolean {
  return (CLASSES[c]! & LOWER_ALNUM) !== 0;
}

function isLetter(c: number): boolean {
  return (CLASSES[c]! & LETTER) !== 0;
}

export function isAlnum(c: number): boolean {
  return (CLASSES[c]! & ALNUM) !== 0;
}

/** Go's `\w` (ASCII only). */
function isWordChar(c: number): boolean {
  return (CLASSES[c]! & WORD) !== 0;
}

function isHex(c: number): boolean {
  return (CLASSES[c]! & HEX) !== 0;
}

export function isLowerHex(c: number): boolean {
  return (CLASSES[c]! & LOWER_HEX) !== 0;
}

function isDomainNameChar(c: number): boolean {
  return (CLASSES[c]! & DOMAIN_NAME) !== 0;
}

/** path-component over s[start, end). */
export function isPathComponent(s: string, start: number, end: number): boolean {
  if (start >= end || !isLowerAlnum(s.charCodeAt(start))) return false;
  let i = start;
  while (true) {
    while (i < end && isLowerAlnum(s.charCodeAt(i))) i++;
    if (i === end) return true;
    const c = s.charCodeAt(i);
    if (c === DOT) {
      i++;
    } else if (c === UNDERSCORE) {
      i++;
      if (i < end && s.charCodeAt(i) === UNDERSCORE) i++;
    } else if (c === DASH) {
      while (i < end && s.charCodeAt(i) === DASH) i++;
    } else {
      return false;
    }
    if (i === end || !isLowerAlnum(s.charCodeAt(i))) return false;
  }
}

// remote-name as one state machine: the kind of each character, then what may follow what.
const K_OTHER = 0;
const K_ALNUM = 1;
const K_DOT = 2;
const K_UNDERSCORE = 3;
const K_DASH = 4;
const K_SLASH = 5;
const PATH_KIND = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  if ((CLASSES[c]! & LOWER_ALNUM) !== 0) PATH_KIND[c] = K_ALNUM;
}
PATH_KIND[DOT] = K_DOT;
PATH_KIND[UNDERSCORE] = K_UNDERSCORE;
PATH_KIND[DASH] = K_DASH;
PATH_KIND[SLASH] = K_SLASH;

/** States: expecting an alphanumeric; inside an alphanumeric run; after "_"; after "-"s. */
const S_NEED_ALNUM = 0;
const S_ALNUM = 1;
const S_UNDERSCORE = 2;
const S_DASHES = 3;

/** remote-name (the repository path) over s[start, end), in one pass. */
export function isRemoteName(s: string, start: number, end: number): boolean {
  let state = S_NEED_ALNUM;
  for (let i = start; i < end; i++) {
    const kind = PATH_KIND[s.charCodeAt(i)]!;
    if (kind === K_ALNUM) {
      state = S_ALNUM;
    } else if (state === S_ALNUM) {
      if (kind === K_OTHER) return false;
      // After "." or "/" an alphanumeric must follow; "_" may double once; "-" may repeat.
      state = kind === K_UNDERSCORE ? S_UNDERSCORE : kind === K_DASH ? S_DASHES : S_NEED_ALNUM;
    } else if (state === S_UNDERSCORE && kind === K_UNDERSCORE) {
      state = S_NEED_ALNUM;
    } else if (state !== S_DASHES || kind !== K_DASH) {
      return false;
    }
  }
  return state === S_ALNUM;
}

/** domain-name over s[start, end): dot-separated components, each alphanumeric at both ends. */
function isDomainName(s: string, start: number, end: number): boolean {
  let componentStart = start;
  for (let i = start; i <= end; i++) {
    if (i === end || s.charCodeAt(i) === DOT) {
      if (i === componentStart) return false;
      if (!isAlnum(s.charCodeAt(componentStart)) || !isAlnum(s.charCodeAt(i - 1))) return false;
      componentStart = i + 1;
    } else if (!isDomainNameChar(s.charCodeAt(i))) {
      return false;
    }
  }
  return true;
}

/** domain (host with optional port) over s[start, end). */
export function isDomainAndPort(s: string, start: number, end: number): boolean {
  if (start >= end) return false;
  let i = start;
  if (s.charCodeAt(i) === OPEN_BRACKET) {
    i++;
    const hexStart = i;
    while (i < end && (isHex(s.charCodeAt(i)) || s.charCodeAt(i) === COLON)) i++;
    if (i === hexStart || i >= end || s.charCodeAt(i) !== CLOSE_BRACKET) return false;
    i++;
  } else {
    const hostStart = i;
    // A domain-name cannot contain ':', so the host ends at the first character outside its alphabet.
    while (i < end && isDomainNameChar(s.charCodeAt(i))) i++;
    if (!isDomainName(s, hostStart, i)) return false;
  }
  if (i === end) return true;
  if (s.charCodeAt(i) !== COLON) return false;
  i++;
  const portStart = i;
  while (i < end && isDigit(s.charCodeAt(i))) i++;
  return i > portStart && i === end;
}

/** Result of `splitName` when the range is not a name at all. */
export const NOT_A_NAME = -2;
/** Result of `splitName` for a name without a domain part. */
export const NO_DOMAIN = -1;

/**
 * The anchored name grammar with upstream's capture rule: the optional `domain/` prefix is greedy, so the
 * first component is the domain whenever it is a valid domain and the rest is a valid path
 * ("library/ubuntu" → domain "library"). Returns the index of the '/' after the domain, NO_DOMAIN, or
 * NOT_A_NAME.
 */
export function splitName(s: string, start: number, end: number): number {
  const slash = s.indexOf('/', start);
  if (slash !== -1 && slash < end && isDomainAndPort(s, start, slash) && isRemoteName(s, slash + 1, end)) {
    return slash;
  }
  return isRemoteName(s, start, end) ? NO_DOMAIN : NOT_A_NAME;
}

/** tag over s[start, end). */
export function isTag(s: string, start: number, end: number): boolean {
  if (start >= end || end - start > TAG_MAX_LENGTH || !isWordChar(s.charCodeAt(start))) return false;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!isWordChar(c) && c !== DOT && c !== DASH) return false;
  }
  return true;
}

/** The reference grammar's digest pattern over s[start, end) (format only; go-digest validates further). */
export function isDigestFormat(s: string, start: number, end: number): boolean {
  let i = start;
  while (true) {
    if (i >= end || !isLetter(s.charCodeAt(i))) return false;
    i++;
    while (i < end && isAlnum(s.charCodeAt(i))) i++;
    if (i >= end) return false;
    const c = s.charCodeAt(i);
    if (c === COLON) break;
    if (c !== DASH && c !== UNDERSCORE && c !== PLUS && c !== DOT) return false;
    i++;
  }
  i++;
  const hexStart = i;
  while (i < end && isHex(s.charCodeAt(i))) i++;
  return i === end && end - hexStart >= DIGEST_MIN_HEX;
}

/** identifier: exactly 64 lowercase hex characters (an image ID). */
export function isIdentifier(s: string): boolean {
  if (s.length !== IDENTIFIER_LENGTH) return false;
  for (let i = 0; i < IDENTIFIER_LENGTH; i++) {
    if (!isLowerHex(s.charCodeAt(i))) return false;
  }
  return true;
}

/** Where the parts of a reference start and end; tag/digest bounds are -1 when absent. */
export interface ReferenceSpans {
  nameEnd: number;
  /** The '/' after the domain, or NO_DOMAIN. */
  domainSlash: number;
  tagStart: number;
  digestStart: number;
}

/**
 * The anchored reference grammar. The split is forced, so no backtracking is needed: neither name, tag nor
 * digest contains '@'; a tag contains neither '/' nor ':'; the last path component contains no ':'. So a
 * ':' after the last '/' (before any '@') can only start the tag.
 */
export function splitReference(s: string): ReferenceSpans | null {
  const length = s.length;
  const at = s.indexOf('@');
  const left = at === -1 ? length : at;
  if (at !== -1 && s.indexOf('@', at + 1) !== -1) return null;
  if (left === 0) return null;
  const lastSlash = s.lastIndexOf('/', left - 1);
  let colon = s.indexOf(':', lastSlash + 1);
  if (colon >= left) colon = -1;
  const nameEnd = colon === -1 ? left : colon;
  const domainSlash = splitName(s, 0, nameEnd);
  if (domainSlash === NOT_A_NAME) return null;
  if (colon !== -1 && !isTag(s, colon + 1, left)) return null;
  if (at !== -1 && !isDigestFormat(s, at + 1, length)) return null;
  return {
    nameEnd,
    domainSlash,
    tagStart: colon === -1 ? -1 : colon + 1,
    digestStart: at === -1 ? -1 : at + 1,
  };
}

// Whole-string forms, named after what the vector modes and other modules ask.

/** A registry host with optional port: `registry.example.com:5000`, `localhost`, `[::1]:5000`. */
export function isValidDomain(s: string): boolean {
  return isDomainAndPort(s, 0, s.length);
}

/** A repository name with optional domain, no tag or digest (length not checked; see `withName`). */
export function isValidName(s: string): boolean {
  return splitName(s, 0, s.length) !== NOT_A_NAME;
}

/** A repository path (remote-name) such as `library/nginx`. */
export function isValidPath(s: string): boolean {
  return isRemoteName(s, 0, s.length);
}

export function isValidTag(s: string): boolean {
  return isTag(s, 0, s.length);
}
