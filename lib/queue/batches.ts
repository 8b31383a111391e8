import type { OutgoingMessage, SendFailure } from './port.ts';

/** SendMessageBatch limits: 10 entries, and the sum of bodies and attributes within the message size limit. */
export const SQS_MAX_BATCH_ENTRIES = 10;
export const SQS_MAX_BATCH_BYTES = 256 * 1024;

export function messageBytes(message: OutgoingMessage): number {
  let bytes = Buffer.byteLength(message.body, 'utf8');
  for (const [key, value] of Object.entries(message.attributes ?? {})) {
    // Each attribute counts its name, its data type ("String") and its value.
    bytes += Buffer.byteLength(key, 'utf8') + 6 + Buffer.byteLength(value, 'utf8');
  }
  return bytes;
}

/**
 * Packs messages, in order, into as few batches as the entry and byte limits allow. A message that alone
 * exceeds the byte limit can never be sent; it is returned as a non-retryable failure instead of a batch.
 */
export function groupIntoBatches(
  messages: readonly OutgoingMessage[],
  limits: { maxEntries: number; maxBytes: number } = {
    maxEntries: SQS_MAX_BATCH_ENTRIES,
    maxBytes: SQS_MAX_BATCH_BYTES,
  },
): { batches: OutgoingMessage[][]; oversized: SendFailure[] } {
  const batches: OutgoingMessage[][] = [];
  const oversized: SendFailure[] = [];
  let current: OutgoingMessage[] = [];
  let currentBytes = 0;
  for (const message of messages) {
    const bytes = messageBytes(message);
    if (bytes > limits.maxBytes) {
      oversized.push({
        id: message.id,
        code: 'message_too_large',
        message: `message of ${bytes} bytes exceeds the ${limits.maxBytes}-byte limit`,
        retryable: false,
      });
      continue;
    }
    if (current.length >= limits.maxEntries || currentBytes + bytes > limits.maxBytes) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(message);
    currentBytes += bytes;
  }
  if (current.length > 0) batches.push(current);
  return { batches, oversized };
}
