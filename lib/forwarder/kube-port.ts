import { PullwatchError } from '../errors.ts';

/**
 * What the forwarder needs from the Kubernetes API: paged lists, watches and single secret reads, all as
 * raw JSON (the wire form, timestamps as strings). `lib/adapters/kubernetes.ts` implements it with
 * @kubernetes/client-node; tests reach a local API stand-in through the same adapter.
 */
export interface KubeApi {
  list(path: string, options: ListOptions): Promise<ListPage>;
  /**
   * Opens a watch. `onEvent` gets every line (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR); `onDone` is
   * called once when the stream ends (null) or fails. `abort()` ends it without calling `onDone` again.
   */
  watch(
    path: string,
    options: WatchOptions,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: KubeApiError | null) => void,
  ): WatchHandle;
  /** One secret, or null when it does not exist. */
  getSecret(namespace: string, name: string): Promise<SecretData | null>;
}

export interface ListOptions {
  limit: number;
  continueToken?: string;
  /** Aborts the request (shutdown). */
  signal?: AbortSignal;
}

export interface ListPage {
  items: unknown[];
  resourceVersion: string;
  continueToken: string | null;
}

export interface WatchOptions {
  resourceVersion: string;
  allowWatchBookmarks: boolean;
  /** Server-side end of the watch. */
  timeoutSeconds: number;
  /** Client-side: abort when no bytes arrived for this long. */
  inactivityMs: number;
}

export interface WatchHandle {
  abort(): void;
}

/** A secret as the API returns it: `data` values are base64. Only lib/forwarder/pull-secrets.ts reads it. */
export interface SecretData {
  type: string | null;
  data: Record<string, string>;
}

/** An API failure; `status` is the HTTP status (or the `code` of an in-stream Status), null for network errors. */
export class KubeApiError extends PullwatchError {
  override readonly name: string = 'KubeApiError';
  readonly status: number | null;

  constructor(code: string, message: string, options: { status?: number | null; cause?: unknown } = {}) {
    super(code, message, { cause: options.cause });
    this.status = options.status ?? null;
  }
}

export function kubeErrorCode(status: number | null): string {
  if (status === null) return 'kube_unreachable';
  if (status === 410) return 'kube_gone';
  if (status === 401) return 'kube_unauthorized';
  if (status === 403) return 'kube_forbidden';
  if (status === 404) return 'kube_not_found';
  if (status === 429) return 'kube_throttled';
  return 'kube_http_error';
}

/** Loose accessors for raw API objects (the forwarder never trusts their shape). */
export interface RawMeta {
  name: string | null;
  namespace: string | null;
  uid: string | null;
  resourceVersion: string | null;
}

export function metaOf(object: unknown): RawMeta {
  const metadata = isRecord(object) && isRecord(object.metadata) ? object.metadata : {};
  return {
    name: str(metadata.name),
    namespace: str(metadata.namespace),
    uid: str(metadata.uid),
    resourceVersion: str(metadata.resourceVersion),
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}
