/**
 * A bounded, ordered ledger of `id → count`, stored as one compact string (`id:count id:count …`, most
 * recently touched last). It is how counts survive at-least-once, out-of-order delivery: Kubernetes folds
 * repeats into one Event whose `count` grows, so an incident adds only the growth of each event's count
 * beyond what it already counted — a redelivered or older copy adds nothing.
 *
 * The bound keeps records small (write cost is per KB). An event evicted from the ledger and seen again is
 * counted afresh: the count may then run high, never low.
 */
export type Ledger = Map<string, number>;

export const MAX_LEDGER_ENTRIES = 256;

export function parseLedger(text: string): Ledger {
  const ledger: Ledger = new Map();
  if (!text) return ledger;
  for (const entry of text.split(' ')) {
    const colon = entry.lastIndexOf(':');
    if (colon <= 0) continue;
    const count = Number(entry.slice(colon + 1));
    if (Number.isSafeInteger(count) && count >= 0) ledger.set(entry.slice(0, colon), count);
  }
  return ledger;
}

export function formatLedger(ledger: Ledger, max = MAX_LEDGER_ENTRIES): string {
  const entries = [...ledger];
  const kept = entries.length > max ? entries.slice(entries.length - max) : entries;
  return kept.map(([id, count]) => `${id}:${count}`).join(' ');
}

/**
 * Records `count` for `id` and returns how much that adds (0 for a duplicate or an older copy). A growing
 * entry moves to the end, so eviction drops the events that stopped growing longest ago.
 */
export function recordCount(ledger: Ledger, id: string, count: number): number {
  const known = ledger.get(id);
  if (known !== undefined && count <= known) return 0;
  ledger.delete(id);
  ledger.set(id, count);
  return count - (known ?? 0);
}
