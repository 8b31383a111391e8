import type { Secret } from './secret.ts';

export interface CachedToken {
  token: Secret;
  /** Epoch ms after which the token is not used again. */
  expiresAt: number;
  /** What the token grants for the repository (from its JWT `access` claim); null when opaque. */
  grantsPull: boolean | null;
}

/**
 * Registry bearer tokens by (realm, service, scope, credentials), kept until shortly before they expire.
 * Concurrent probes of one repository share one token request. Bounded: the oldest entry goes first.
 */
export class TokenCache {
  readonly #entries = new Map<string, CachedToken>();
  readonly #inflight = new Map<string, Promise<CachedToken>>();
  readonly #maxEntries: number;

  constructor(maxEntries = 500) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, now: number): CachedToken | null {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return null;
    }
    return entry;
  }

  set(key: string, entry: CachedToken): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** The cached token, or the one `fetch` returns (shared with any concurrent caller for the same key). */
  async getOrFetch(
    key: string,
    now: number,
    fetch: () => Promise<CachedToken>,
  ): Promise<{ entry: CachedToken; fromCache: boolean }> {
    const cached = this.get(key, now);
    if (cached) return { entry: cached, fromCache: true };
    const running = this.#inflight.get(key);
    if (running) return { entry: await running, fromCache: true };
    const pending = fetch().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, pending);
    const entry = await pending;
    // Tokens that live under the caching margin are used once and not kept.
    if (entry.expiresAt > now) this.set(key, entry);
    return { entry, fromCache: false };
  }

  clear(): void {
    this.#entries.clear();
  }
}

/** How long a token is kept: its lifetime (default 60 s per the token spec) minus a safety margin. */
export function tokenExpiry(body: { expires_in?: unknown; issued_at?: unknown }, now: number): number {
  const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
  const issued = typeof body.issued_at === 'string' ? Date.parse(body.issued_at) : Number.NaN;
  // A server clock ahead of ours must not make tokens look fresh for longer than they are.
  const start = Number.isNaN(issued) ? now : Math.min(issued, now);
  const margin = Math.min(30, lifetime * 0.1) * 1000;
  return start + lifetime * 1000 - margin;
}

/** Does a JWT's `access` claim grant pull on the repository? null when the token is not a readable JWT. */
export function jwtGrantsPull(token: string, repository: string): boolean | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as {
      access?: unknown;
    };
    if (!Array.isArray(payload.access)) return null;
    return payload.access.some((entry: { type?: unknown; name?: unknown; actions?: unknown }) => {
      const actions = Array.isArray(entry?.actions) ? entry.actions : [];
      return (
        entry?.type === 'repository' &&
        entry?.name === repository &&
        (actions.includes('pull') || actions.includes('*'))
      );
    });
  } catch {
    return null;
  }
}
