/**
 * The queue port: SQS in AWS, an in-process queue for `pullwatch run`. Senders report per-message outcomes
 * because SQS batches fail partially, and only the failed entries may be retried.
 */
export interface OutgoingMessage {
  /** Unique within one send call; SQS batch entry ids allow [A-Za-z0-9_-]{1,80}. */
  id: string;
  body: string;
  attributes?: Record<string, string>;
  /** FIFO queues only. */
  groupId?: string;
  deduplicationId?: string;
}

export interface SendFailure {
  id: string;
  code: string;
  message: string;
  /** Throttling, 5xx, network: try again later. A malformed or oversized message: never. */
  retryable: boolean;
}

export interface SendResult {
  sent: string[];
  failed: SendFailure[];
}

export interface QueueSender {
  send(messages: readonly OutgoingMessage[]): Promise<SendResult>;
}

export interface ReceivedMessage {
  messageId: string;
  body: string;
  receiptHandle: string;
  attributes: Record<string, string>;
  /** How many times this message has been received, this time included. */
  receiveCount: number;
}

export interface QueueReceiver {
  receive(options?: { maxMessages?: number; waitSeconds?: number }): Promise<ReceivedMessage[]>;
  delete(receiptHandles: readonly string[]): Promise<void>;
}
