import type { IncomingHttpHeaders } from 'node:http';

/** Docker Hub's pull quota as its headers tell it (`ratelimit-limit: 100;w=21600`). */
export interface RateLimit {
  limit: number | null;
  remaining: number | null;
  /** Window length in seconds (`w=`). */
  windowSeconds: number | null;
  /** What the quota is counted against (`docker-ratelimit-source`: an IP or account id). */
  source: string | null;
}

function quota(value: string | string[] | undefined): { count: number; window: number | null } | null {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return null;
  const match = /^\s*(\d+)(?:\s*;\s*w\s*=\s*(\d+))?/.exec(text);
  if (!match) return null;
  return { count: Number(match[1]), window: match[2] === undefined ? null : Number(match[2]) };
}

/** Null when the response carries no rate-limit headers (every registry but Docker Hub). */
export function parseRateLimit(headers: IncomingHttpHeaders): RateLimit | null {
  const limit = quota(headers['ratelimit-limit']);
  const remaining = quota(headers['ratelimit-remaining']);
  if (!limit && !remaining) return null;
  const source = headers['docker-ratelimit-source'];
  return {
    limit: limit?.count ?? null,
    remaining: remaining?.count ?? null,
    windowSeconds: limit?.window ?? remaining?.window ?? null,
    source: (Array.isArray(source) ? source[0] : source)?.slice(0, 100) ?? null,
  };
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date, relative to `now`); null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}
