/**
 * Remembers which pods (and containers) recently had a forwarded pull failure, so that a later `Pulled`
 * for the same container becomes one `resolved` envelope — and an ordinary `Pulled` (every pod start has
 * them) is not forwarded at all. Bounded: entries older than the window are pruned, and the map has a cap.
 */
const ANY_CONTAINER = '';

export class PullFailureMemory {
  readonly #windowMs: number;
  readonly #maxPods: number;
  /** pod key → container ('' when the event named none) → when the failure was last seen (ms). */
  readonly #pods = new Map<string, Map<string, number>>();

  constructor(options: { windowMs: number; maxPods?: number }) {
    this.#windowMs = options.windowMs;
    this.#maxPods = options.maxPods ?? 50_000;
  }

  get size(): number {
    return this.#pods.size;
  }

  record(pod: string, container: string | null, atMs: number): void {
    let containers = this.#pods.get(pod);
    if (!containers) {
      if (this.#pods.size >= this.#maxPods) this.prune(atMs);
      if (this.#pods.size >= this.#maxPods) {
        const oldest = this.#pods.keys().next().value;
        if (oldest !== undefined) this.#pods.delete(oldest);
      }
      containers = new Map();
      this.#pods.set(pod, containers);
    }
    const key = container ?? ANY_CONTAINER;
    containers.set(key, Math.max(containers.get(key) ?? 0, atMs));
  }

  /**
   * Whether a `Pulled` for this pod/container resolves a recent failure; forgets that failure so the
   * resolution is reported once. A `Pulled` without a container resolves every failure of the pod.
   */
  consume(pod: string, container: string | null, nowMs: number): boolean {
    const containers = this.#pods.get(pod);
    if (!containers) return false;
    const recent = (at: number | undefined) => at !== undefined && nowMs - at <= this.#windowMs;
    let resolved = false;
    if (container === null) {
      for (const at of containers.values()) resolved ||= recent(at);
      containers.clear();
    } else {
      resolved = recent(containers.get(container)) || recent(containers.get(ANY_CONTAINER));
      containers.delete(container);
      containers.delete(ANY_CONTAINER);
    }
    if (containers.size === 0) this.#pods.delete(pod);
    return resolved;
  }

  prune(nowMs: number): void {
    for (const [pod, containers] of this.#pods) {
      for (const [container, at] of containers) {
        if (nowMs - at > this.#windowMs) containers.delete(container);
      }
      if (containers.size === 0) this.#pods.delete(pod);
    }
  }
}
