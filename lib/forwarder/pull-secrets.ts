import { errorMessage } from '../errors.ts';
import type { PullSecretInfo } from '../events/envelope.ts';
import type { KubeApi, SecretData } from './kube-port.ts';
import { isRecord, KubeApiError } from './kube-port.ts';
import type { ForwarderLogger } from './logger.ts';
import type { ForwarderMetrics } from './metrics.ts';

/**
 * Opt-in pull-secret inspection: for each imagePullSecret of a failing pod, whether it exists, its type,
 * and the registry HOSTS its docker config covers. Credentials never leave this file: only the keys of
 * the `auths` map are read, user-info in a key is cut off, nothing of the secret is logged, and parse
 * errors (whose messages can quote the input) are swallowed without their text.
 */
const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson';
const DOCKER_CFG = 'kubernetes.io/dockercfg';
const MAX_HOSTS = 256;
const HOST_SHAPE = /^[a-z0-9*[\]._:-]{1,512}$/;

/** `https://user:pw@Registry.example.com:5000/v1/` → `registry.example.com:5000`; null if not a host. */
export function hostOfKey(key: string): string | null {
  let rest = key.trim();
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(rest);
  if (scheme) rest = rest.slice(scheme[0].length);
  const slash = rest.indexOf('/');
  if (slash >= 0) rest = rest.slice(0, slash);
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = rest.slice(at + 1);
  const host = rest.toLowerCase();
  return HOST_SHAPE.test(host) ? host : null;
}

function decodeJson(base64: string | undefined): unknown {
  if (typeof base64 !== 'string') return null;
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    return null;
  }
}

/** The registry hosts a pull secret covers, as kubelet reads it (by type). Never its credentials. */
export function registryHostsFromSecret(secret: SecretData): string[] {
  let auths: unknown = null;
  if (secret.type === DOCKER_CONFIG_JSON) {
    const config = decodeJson(secret.data['.dockerconfigjson']);
    auths = isRecord(config) ? config.auths : null;
  } else if (secret.type === DOCKER_CFG) {
    auths = decodeJson(secret.data['.dockercfg']);
  }
  if (!isRecord(auths)) return [];
  const hosts = new Set<string>();
  for (const key of Object.keys(auths)) {
    const host = hostOfKey(key);
    if (host !== null) hosts.add(host);
    if (hosts.size >= MAX_HOSTS) break;
  }
  return [...hosts].sort();
}

interface CacheEntry {
  info: PullSecretInfo | null;
  expiresAt: number;
}

export interface PullSecretInspectorOptions {
  kube: KubeApi;
  now: () => number;
  logger: ForwarderLogger;
  metrics: ForwarderMetrics;
  /** How long an answer is reused (secrets change rarely; a failing pod asks every few seconds). */
  ttlMs?: number;
  maxEntries?: number;
}

/**
 * Reads secrets with `get` only (no list/watch: the overlay's RBAC), cached per namespace/name so a storm
 * of events for one pod costs one GET per TTL, and concurrent asks share one request.
 */
export class PullSecretInspector {
  readonly #options: PullSecretInspectorOptions;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<PullSecretInfo | null>>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(options: PullSecretInspectorOptions) {
    this.#options = options;
    this.#ttlMs = options.ttlMs ?? 300_000;
    this.#maxEntries = options.maxEntries ?? 5000;
  }

  async inspect(namespace: string, names: readonly string[]): Promise<PullSecretInfo[]> {
    const results = await Promise.all(names.map((name) => this.#one(namespace, name)));
    return results.filter((info): info is PullSecretInfo => info !== null);
  }

  #one(namespace: string, name: string): Promise<PullSecretInfo | null> {
    const key = `${namespace}/${name}`;
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt > this.#options.now()) return Promise.resolve(cached.info);
    const pending = this.#inflight.get(key);
    if (pending) return pending;
    const request = this.#fetch(namespace, name).then((info) => {
      this.#inflight.delete(key);
      this.#cache.delete(key);
      // An unknown answer (API error) is asked again sooner than a real one.
      const ttl = info === null ? Math.min(this.#ttlMs, 30_000) : this.#ttlMs;
      this.#cache.set(key, { info, expiresAt: this.#options.now() + ttl });
      if (this.#cache.size > this.#maxEntries) {
        const oldest = this.#cache.keys().next().value;
        if (oldest !== undefined) this.#cache.delete(oldest);
      }
      return info;
    });
    this.#inflight.set(key, request);
    return request;
  }

  /** null when the answer is unknown (no permission, API error): better no entry than a wrong `exists`. */
  async #fetch(namespace: string, name: string): Promise<PullSecretInfo | null> {
    const { kube, metrics, logger } = this.#options;
    try {
      const secret = await kube.getSecret(namespace, name);
      if (secret === null) {
        metrics.pullSecretLookups.inc({ result: 'missing' });
        return { name, exists: false, type: null, registries: [] };
      }
      metrics.pullSecretLookups.inc({ result: 'found' });
      return {
        name,
        exists: true,
        type: secret.type === null ? null : secret.type.slice(0, 128),
        registries: registryHostsFromSecret(secret),
      };
    } catch (error) {
      const status = error instanceof KubeApiError ? error.status : null;
      metrics.pullSecretLookups.inc({ result: status === 403 ? 'forbidden' : 'error' });
      logger.warn('pull-secret inspection failed', {
        namespace,
        secret: name,
        status,
        // The adapter's errors carry status and Status.message only, never the secret's body.
        error: errorMessage(error),
      });
      return null;
    }
  }
}
