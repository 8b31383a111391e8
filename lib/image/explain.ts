import { quote, type ReferencePart } from './errors.ts';
import {
  DIGEST_MIN_HEX,
  isDigestFormat,
  isDomainAndPort,
  isLowerAlnum,
  isPathComponent,
  isTag,
  isValidName,
  TAG_MAX_LENGTH,
} from './grammar.ts';

/**
 * Why a string is not a reference, in words. Upstream only says "invalid reference format"; the error code
 * stays that, and this adds which part is wrong. Runs only on the failure path, so clarity beats speed.
 */
export interface Explanation {
  part: ReferencePart | null;
  reason: string;
}

function isAllowedNameChar(c: number): boolean {
  return (
    isLowerAlnum(c) ||
    (c >= 0x41 && c <= 0x5a) ||
    c === 0x2e ||
    c === 0x5f ||
    c === 0x2d ||
    c === 0x2f ||
    c === 0x3a ||
    c === 0x5b ||
    c === 0x5d
  );
}

function describeChar(c: string): string {
  if (c === ' ') return 'a space';
  if (/\s/.test(c)) return `whitespace ${JSON.stringify(c)}`;
  return JSON.stringify(c);
}

/** A first component the normaliser would treat as a registry host. */
function looksLikeDomain(component: string): boolean {
  return /[.:[\]A-Z]/.test(component) || component === 'localhost';
}

function explainPath(path: string): Explanation | null {
  const components = path.split('/');
  for (const component of components) {
    if (component.length === 0) {
      return {
        part: 'path',
        reason: `repository path ${quote(path)} has an empty component (a leading, trailing or doubled "/")`,
      };
    }
    if (!isPathComponent(component, 0, component.length)) {
      if (/[A-Z]/.test(component)) {
        return { part: 'path', reason: `repository path component ${quote(component)} must be lowercase` };
      }
      return {
        part: 'path',
        reason:
          `repository path component ${quote(component)} must be lowercase letters and digits, separated by ` +
          `one ".", one or two "_", or any number of "-", and must start and end with a letter or digit`,
      };
    }
  }
  return null;
}

/** Why `name` is not a repository name, or null when it is one. */
export function explainName(name: string): Explanation | null {
  if (name.length === 0) return { part: 'name', reason: 'the repository name is empty' };
  if (isValidName(name)) return null;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!isAllowedNameChar(c)) {
      const char = String.fromCodePoint(name.codePointAt(i) ?? c);
      return { part: 'name', reason: `${describeChar(char)} is not allowed in a repository name` };
    }
  }
  const slash = name.indexOf('/');
  if (slash === -1) {
    if (isDomainAndPort(name, 0, name.length) && /[:[]/.test(name)) {
      return {
        part: 'path',
        reason: `${quote(name)} is a registry host without a repository path (e.g. ${quote(`${name}/repo`)})`,
      };
    }
    return explainPath(name);
  }
  const first = name.slice(0, slash);
  if (looksLikeDomain(first)) {
    if (!isDomainAndPort(first, 0, first.length)) {
      return {
        part: 'domain',
        reason:
          `registry host ${quote(first)} is not a valid host[:port] (DNS-style labels, IPv4, or [IPv6] ` +
          'without a zone; port digits only)',
      };
    }
    return explainPath(name.slice(slash + 1));
  }
  return explainPath(name);
}

/** Why `s` is not a reference, or null when no single part can be blamed. */
export function explainReference(s: string): Explanation | null {
  if (s.length === 0) return { part: 'name', reason: 'the reference is empty' };
  const ws = /\s/.exec(s);
  if (ws !== null) {
    return { part: null, reason: `contains ${describeChar(ws[0])} (references contain no whitespace)` };
  }
  const at = s.indexOf('@');
  if (at !== -1 && s.indexOf('@', at + 1) !== -1) {
    return { part: 'digest', reason: 'more than one "@" (a reference has at most one digest)' };
  }
  const left = at === -1 ? s.length : at;
  if (left === 0) return { part: 'name', reason: 'no repository name before "@"' };
  const lastSlash = s.lastIndexOf('/', left - 1);
  let colon = s.indexOf(':', lastSlash + 1);
  if (colon >= left) colon = -1;
  const nameEnd = colon === -1 ? left : colon;
  if (nameEnd === 0) return { part: 'name', reason: 'no repository name before ":"' };
  const nameSpan = s.slice(0, nameEnd);
  const wholeLeft = s.slice(0, left);
  if (wholeLeft.indexOf('/') === -1 && wholeLeft.startsWith('[')) {
    const host = explainName(wholeLeft);
    if (host !== null) return host;
  }
  const name = explainName(nameSpan);
  if (name !== null) return name;
  if (colon !== -1 && !isTag(s, colon + 1, left)) {
    const tag = s.slice(colon + 1, left);
    if (tag.length === 0) return { part: 'tag', reason: 'empty tag after ":"' };
    if (tag.length > TAG_MAX_LENGTH) {
      return { part: 'tag', reason: `tag is ${tag.length} characters; the limit is ${TAG_MAX_LENGTH}` };
    }
    return {
      part: 'tag',
      reason: `tag ${quote(tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,${TAG_MAX_LENGTH - 1}}`,
    };
  }
  if (at !== -1 && !isDigestFormat(s, at + 1, s.length)) {
    return {
      part: 'digest',
      reason: `digest ${quote(s.slice(at + 1))} must be algorithm:hex with at least ${DIGEST_MIN_HEX} hex characters`,
    };
  }
  return null;
}
