import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A local stand-in for the Slack Web API (DESIGN.md §5), for `slackApiUrl`: chat.postMessage (with
 * thread_ts), chat.update, conversations.history (with metadata, for reconciling) and response_url posts.
 * It records every call, checks the bot token, rejects payloads over Slack's Block Kit limits with
 * `invalid_blocks` as Slack does, and plays scripted faults per call: 429 with Retry-After, 5xx, a Slack
 * platform error, a reset connection, or accept-then-hang (the message is stored, the answer never comes).
 *
 * The limits below are written out from Slack's reference on purpose, not imported from lib/notify, so a
 * wrong constant in the builder cannot make both sides agree.
 */
export type SlackFault =
  | { kind: 'rate_limited'; retryAfter?: string | null }
  | { kind: 'server_error'; status?: number }
  | { kind: 'platform_error'; error: string }
  | { kind: 'reset' }
  | { kind: 'hang' };

export interface RecordedCall {
  /** `chat.postMessage`, `chat.update`, `conversations.history`, `response_url`, … */
  method: string;
  params: Record<string, unknown>;
  auth: 'ok' | 'missing' | 'invalid' | 'not_required';
  /** `ok`, a Slack error (`invalid_blocks`), or `fault:<kind>`. */
  outcome: string;
  errors: string[];
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: unknown[] | null;
  attachments: unknown[] | null;
  metadata: { event_type: string; event_payload: Record<string, unknown> } | null;
  /** Every version of the message, the first post included. */
  versions: Array<{ text: string; blocks: unknown[] | null; attachments: unknown[] | null }>;
  replyBroadcast: boolean;
}

export interface ResponsePost {
  id: string;
  body: Record<string, unknown>;
  outcome: string;
}

export interface SlackApiStandIn {
  /** For `slackApiUrl`: `http://127.0.0.1:<port>/api/`. */
  url: string;
  token: string;
  calls: RecordedCall[];
  messages: StoredMessage[];
  responses: ResponsePost[];
  /** Script the next `times` calls of `method` (`chat.postMessage`, `response_url`, …) to fail. */
  fail(method: string, fault: SlackFault, times?: number): void;
  /** Forget scripted faults not played yet. */
  clearFaults(): void;
  /** A response_url; `replace_original` posts to it update the given message. */
  responseUrl(target?: { channel: string; ts: string }): string;
  /** Top-level messages and replies of one channel, oldest first. */
  channel(channel: string): StoredMessage[];
  /** Requests being held open by `hang` faults. */
  hanging(): number;
  close(): Promise<void>;
}

export interface SlackApiOptions {
  token?: string;
  /** When given, only these channel ids exist (others answer channel_not_found). */
  channels?: string[];
}

export const SLACK_API_LIMITS = {
  blocks: 50,
  text: 40_000,
  header: 150,
  sectionText: 3_000,
  fields: 10,
  fieldText: 2_000,
  contextElements: 10,
  contextText: 3_000,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2_000,
  buttonUrl: 3_000,
  actionId: 255,
  blockId: 255,
  attachments: 100,
} as const;

export async function startSlackApi(options: SlackApiOptions = {}): Promise<SlackApiStandIn> {
  const token = options.token ?? 'xoxb-test-token';
  const known = options.channels ? new Set(options.channels) : null;
  const calls: RecordedCall[] = [];
  const messages: StoredMessage[] = [];
  const responses: ResponsePost[] = [];
  const faults = new Map<string, SlackFault[]>();
  const responseTargets = new Map<string, { target: { channel: string; ts: string } | null; uses: number }>();
  const held = new Set<ServerResponse>();
  const sockets = new Set<Socket>();
  let sequence = 0;

  let lastSecond = 0;
  /** Slack ts values: the post's wall-clock second (`oldest` filters rely on it), unique and increasing. */
  const nextTs = () => {
    sequence += 1;
    lastSecond = Math.max(lastSecond, Math.floor(Date.now() / 1000));
    return `${lastSecond}.${String(sequence % 1_000_000).padStart(6, '0')}`;
  };

  const takeFault = (method: string): SlackFault | null => {
    const queue = faults.get(method);
    return queue?.shift() ?? null;
  };

  const server = createServer((req, res) => {
    readBody(req)
      .then((raw) => handle(req, res, raw))
      .catch((err: unknown) => {
        if (!res.headersSent)
          sendJson(res, 500, { ok: false, error: 'stand_in_failure', detail: String(err) });
      });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (req.method === 'POST' && path.startsWith('/actions/')) {
      handleResponseUrl(path.slice(9), req, res, raw);
      return;
    }
    if (req.method !== 'POST' || !path.startsWith('/api/')) {
      sendJson(res, 404, { ok: false, error: 'unknown_method' });
      return;
    }
    const method = path.slice(5);
    const parsed = parseParams(req.headers['content-type'] ?? '', raw);
    const call: RecordedCall = { method, params: parsed.params, auth: 'ok', outcome: 'ok', errors: [] };
    calls.push(call);
    if (parsed.error) {
      answer(call, res, { ok: false, error: parsed.error });
      return;
    }
    const bearer =
      /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ??
      (parsed.params.token as string | undefined);
    if (!bearer) {
      call.auth = 'missing';
      answer(call, res, { ok: false, error: 'not_authed' });
      return;
    }
    if (bearer !== token) {
      call.auth = 'invalid';
      answer(call, res, { ok: false, error: 'invalid_auth' });
      return;
    }
    const fault = takeFault(method);
    if (fault && fault.kind !== 'hang') {
      playFault(call, res, fault);
      return;
    }
    const result = dispatch(method, parsed.params, call);
    if (fault?.kind === 'hang') {
      call.outcome = 'fault:hang';
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    answer(call, res, result);
  }

  function playFault(call: RecordedCall, res: ServerResponse, fault: SlackFault): void {
    call.outcome = `fault:${fault.kind}`;
    switch (fault.kind) {
      case 'rate_limited': {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== null) headers['retry-after'] = fault.retryAfter ?? '1';
        res.writeHead(429, headers).end(JSON.stringify({ ok: false, error: 'ratelimited' }));
        return;
      }
      case 'server_error':
        res.writeHead(fault.status ?? 500, { 'content-type': 'text/plain' }).end('Internal Server Error');
        return;
      case 'platform_error':
        sendJson(res, 200, { ok: false, error: fault.error });
        return;
      case 'reset':
        res.socket?.destroy();
        return;
      case 'hang':
        return;
    }
  }

  function answer(call: RecordedCall, res: ServerResponse, result: Record<string, unknown>): void {
    if (result.ok !== true && call.outcome === 'ok') call.outcome = String(result.error);
    sendJson(res, 200, result);
  }

  function dispatch(
    method: string,
    params: Record<string, unknown>,
    call: RecordedCall,
  ): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UPULLWATCH', team_id: 'TTEST' };
      case 'chat.postMessage':
        return postMessage(params, call);
      case 'chat.update':
        return update(params, call);
      case 'conversations.history':
        return history(params);
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  function resolveChannel(value: unknown): string | null {
    if (typeof value !== 'string' || value === '') return null;
    if (known) return known.has(value) ? value : null;
    return /^[CGD][A-Z0-9]{2,}$/.test(value) ? value : null;
  }

  function checkContent(params: Record<string, unknown>, call: RecordedCall): Record<string, unknown> | null {
    const text = typeof params.text === 'string' ? params.text : '';
    const blocks = params.blocks;
    const attachments = params.attachments;
    if (!text && !blocks && !attachments) return { ok: false, error: 'no_text' };
    if (text.length > SLACK_API_LIMITS.text) return { ok: false, error: 'msg_too_long' };
    const errors = validateMessageContent({ blocks, attachments, metadata: params.metadata });
    if (errors.length > 0) {
      call.errors = errors;
      return {
        ok: false,
        error: 'invalid_blocks',
        errors,
        response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
      };
    }
    return null;
  }

  function postMessage(params: Record<string, unknown>, call: RecordedCall): Record<string, unknown> {
    const channel = resolveChannel(params.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const rejected = checkContent(params, call);
    if (rejected) return rejected;
    const threadTs = typeof params.thread_ts === 'string' ? params.thread_ts : null;
    if (
      threadTs &&
      !messages.some((m) => m.channel === channel && m.ts === threadTs && m.threadTs === null)
    ) {
      return { ok: false, error: 'thread_not_found' };
    }
    const content = contentOf(params);
    const message: StoredMessage = {
      channel,
      ts: nextTs(),
      threadTs,
      ...content,
      metadata: metadataOf(params.metadata),
      versions: [content],
      replyBroadcast: params.reply_broadcast === true || params.reply_broadcast === 'true',
    };
    messages.push(message);
    return { ok: true, channel, ts: message.ts, message: { ts: message.ts, text: message.text } };
  }

  function update(params: Record<string, unknown>, call: RecordedCall): Record<string, unknown> {
    const channel = resolveChannel(params.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const message = messages.find((m) => m.channel === channel && m.ts === params.ts);
    if (!message) return { ok: false, error: 'message_not_found' };
    const rejected = checkContent(params, call);
    if (rejected) return rejected;
    applyContent(message, params);
    return { ok: true, channel, ts: message.ts, text: message.text };
  }

  function history(params: Record<string, unknown>): Record<string, unknown> {
    const channel = resolveChannel(params.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const oldest = Number(params.oldest ?? 0);
    const limit = Math.min(Number(params.limit ?? 100) || 100, 999);
    const start = Number(params.cursor ?? 0) || 0;
    const withMetadata = params.include_all_metadata === true || params.include_all_metadata === 'true';
    const visible = messages
      .filter(
        (m) => m.channel === channel && (m.threadTs === null || m.replyBroadcast) && Number(m.ts) >= oldest,
      )
      .reverse();
    const page = visible.slice(start, start + limit);
    const hasMore = start + limit < visible.length;
    return {
      ok: true,
      messages: page.map((m) => ({
        type: 'message',
        ts: m.ts,
        ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
        text: m.text,
        ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
      })),
      has_more: hasMore,
      response_metadata: { next_cursor: hasMore ? String(start + limit) : '' },
    };
  }

  function handleResponseUrl(id: string, _req: IncomingMessage, res: ServerResponse, raw: string): void {
    let body: Record<string, unknown> = {};
    const post: ResponsePost = { id, body, outcome: 'ok' };
    responses.push(post);
    const call: RecordedCall = {
      method: 'response_url',
      params: {},
      auth: 'not_required',
      outcome: 'ok',
      errors: [],
    };
    calls.push(call);
    const entry = responseTargets.get(id);
    const reply = (status: number, text: string) => {
      post.outcome = text;
      call.outcome = text;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    };
    if (!entry) {
      reply(404, 'expired_url');
      return;
    }
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
      post.body = body;
      call.params = body;
    } catch {
      reply(400, 'invalid_payload');
      return;
    }
    const fault = takeFault('response_url');
    if (fault && fault.kind !== 'hang') {
      post.outcome = `fault:${fault.kind}`;
      playFault(call, res, fault);
      return;
    }
    entry.uses += 1;
    if (entry.uses > 5) {
      reply(404, 'used_url');
      return;
    }
    const errors = validateMessageContent({ blocks: body.blocks, attachments: body.attachments });
    if (errors.length > 0) {
      call.errors = errors;
      reply(400, 'invalid_blocks');
      return;
    }
    if (body.replace_original === true && entry.target) {
      const target = entry.target;
      const message = messages.find((m) => m.channel === target.channel && m.ts === target.ts);
      if (message) applyContent(message, body);
    }
    if (fault?.kind === 'hang') {
      post.outcome = 'fault:hang';
      call.outcome = 'fault:hang';
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    reply(200, 'ok');
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    url: `${base}/api/`,
    token,
    calls,
    messages,
    responses,
    fail(method, fault, times = 1) {
      const queue = faults.get(method) ?? [];
      for (let i = 0; i < times; i += 1) queue.push(fault);
      faults.set(method, queue);
    },
    clearFaults() {
      faults.clear();
    },
    responseUrl(target) {
      const id = randomUUID();
      responseTargets.set(id, { target: target ?? null, uses: 0 });
      return `${base}/actions/${id}`;
    },
    channel(channel) {
      return messages.filter((m) => m.channel === channel);
    },
    hanging() {
      return held.size;
    },
    async close() {
      for (const res of held) res.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

const JSON_FIELDS = ['blocks', 'attachments', 'metadata'];

/** The Web API takes form bodies (what WebClient sends, complex fields JSON-encoded) and JSON bodies. */
function parseParams(contentType: string, raw: string): { params: Record<string, unknown>; error?: string } {
  if (contentType.includes('application/json')) {
    try {
      return { params: JSON.parse(raw || '{}') as Record<string, unknown> };
    } catch {
      return { params: {}, error: 'invalid_json' };
    }
  }
  const params: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) params[key] = value;
  for (const field of JSON_FIELDS) {
    if (typeof params[field] !== 'string') continue;
    try {
      params[field] = JSON.parse(params[field] as string);
    } catch {
      return { params, error: field === 'metadata' ? 'invalid_metadata_format' : 'invalid_blocks_format' };
    }
  }
  return { params };
}

function contentOf(params: Record<string, unknown>): StoredMessage['versions'][number] {
  return {
    text: typeof params.text === 'string' ? params.text : '',
    blocks: Array.isArray(params.blocks) ? params.blocks : null,
    attachments: Array.isArray(params.attachments) ? params.attachments : null,
  };
}

function applyContent(message: StoredMessage, params: Record<string, unknown>): void {
  const content = contentOf(params);
  message.text = content.text;
  message.blocks = content.blocks;
  message.attachments = content.attachments;
  const metadata = metadataOf(params.metadata);
  if (metadata) message.metadata = metadata;
  message.versions.push(content);
}

function metadataOf(value: unknown): StoredMessage['metadata'] {
  if (!value || typeof value !== 'object') return null;
  const meta = value as { event_type?: unknown; event_payload?: unknown };
  if (typeof meta.event_type !== 'string') return null;
  return {
    event_type: meta.event_type,
    event_payload: (meta.event_payload as Record<string, unknown>) ?? {},
  };
}

/**
 * Slack's Block Kit limits for the block types pullwatch sends (plus images in context), as error strings
 * with JSON pointers like Slack's `invalid_blocks` messages. Empty when the payload is valid.
 */
export function validateMessageContent(content: {
  blocks?: unknown;
  attachments?: unknown;
  metadata?: unknown;
}): string[] {
  const errors: string[] = [];
  const actionIds = new Set<string>();
  const blockIds = new Set<string>();
  let total = 0;
  const checkBlocks = (blocks: unknown, pointer: string) => {
    if (!Array.isArray(blocks)) return errors.push(`must be an array [json-pointer:${pointer}]`);
    total += blocks.length;
    if (blocks.length > SLACK_API_LIMITS.blocks) {
      errors.push(`no more than ${SLACK_API_LIMITS.blocks} items allowed [json-pointer:${pointer}]`);
    }
    for (const [i, block] of blocks.entries())
      validateBlock(block, `${pointer}/${i}`, errors, actionIds, blockIds);
  };
  if (content.blocks !== undefined && content.blocks !== null) checkBlocks(content.blocks, '/blocks');
  if (content.attachments !== undefined && content.attachments !== null) {
    if (!Array.isArray(content.attachments)) {
      errors.push('must be an array [json-pointer:/attachments]');
    } else {
      if (content.attachments.length > SLACK_API_LIMITS.attachments) {
        errors.push(`no more than ${SLACK_API_LIMITS.attachments} items allowed [json-pointer:/attachments]`);
      }
      content.attachments.forEach((attachment, i) => {
        const blocks = (attachment as { blocks?: unknown }).blocks;
        if (blocks !== undefined) checkBlocks(blocks, `/attachments/${i}/blocks`);
        const color = (attachment as { color?: unknown }).color;
        if (
          color !== undefined &&
          (typeof color !== 'string' || !/^#?[0-9A-Fa-f]{6}$|^(good|warning|danger)$/.test(color))
        ) {
          errors.push(`invalid color [json-pointer:/attachments/${i}/color]`);
        }
      });
    }
  }
  if (total > SLACK_API_LIMITS.blocks)
    errors.push(`no more than ${SLACK_API_LIMITS.blocks} blocks in one message`);
  if (content.metadata !== undefined && content.metadata !== null) {
    const meta = content.metadata as { event_type?: unknown; event_payload?: unknown };
    if (typeof meta.event_type !== 'string' || !/^[A-Za-z0-9_]{1,255}$/.test(meta.event_type)) {
      errors.push('invalid event_type [json-pointer:/metadata/event_type]');
    }
    if (!meta.event_payload || typeof meta.event_payload !== 'object') {
      errors.push('event_payload must be an object [json-pointer:/metadata/event_payload]');
    }
  }
  return errors;
}

function validateText(
  value: unknown,
  pointer: string,
  max: number,
  errors: string[],
  plainOnly = false,
): void {
  const text = value as { type?: unknown; text?: unknown } | undefined;
  if (!text || typeof text !== 'object') {
    errors.push(`must provide an object [json-pointer:${pointer}]`);
    return;
  }
  if (text.type !== 'plain_text' && (plainOnly || text.type !== 'mrkdwn')) {
    errors.push(
      `must be ${plainOnly ? 'plain_text' : 'plain_text or mrkdwn'} [json-pointer:${pointer}/type]`,
    );
  }
  if (typeof text.text !== 'string' || text.text.length === 0) {
    errors.push(`must be more than 0 characters [json-pointer:${pointer}/text]`);
  } else if (text.text.length > max) {
    errors.push(`must be less than ${max + 1} characters [json-pointer:${pointer}/text]`);
  }
}

function validateBlock(
  value: unknown,
  pointer: string,
  errors: string[],
  actionIds: Set<string>,
  blockIds: Set<string>,
): void {
  const block = value as Record<string, unknown>;
  if (!block || typeof block !== 'object') {
    errors.push(`must provide an object [json-pointer:${pointer}]`);
    return;
  }
  if (block.block_id !== undefined) {
    if (typeof block.block_id !== 'string' || block.block_id.length > SLACK_API_LIMITS.blockId) {
      errors.push(
        `must be less than ${SLACK_API_LIMITS.blockId + 1} characters [json-pointer:${pointer}/block_id]`,
      );
    } else if (blockIds.has(block.block_id)) {
      errors.push(`duplicate block_id [json-pointer:${pointer}/block_id]`);
    } else {
      blockIds.add(block.block_id);
    }
  }
  switch (block.type) {
    case 'header':
      validateText(block.text, `${pointer}/text`, SLACK_API_LIMITS.header, errors, true);
      return;
    case 'divider':
      return;
    case 'section': {
      if (block.text === undefined && block.fields === undefined) {
        errors.push(`must provide text or fields [json-pointer:${pointer}]`);
      }
      if (block.text !== undefined)
        validateText(block.text, `${pointer}/text`, SLACK_API_LIMITS.sectionText, errors);
      if (block.fields !== undefined) {
        const fields = block.fields as unknown[];
        if (!Array.isArray(fields) || fields.length > SLACK_API_LIMITS.fields) {
          errors.push(
            `no more than ${SLACK_API_LIMITS.fields} items allowed [json-pointer:${pointer}/fields]`,
          );
        } else {
          for (const [i, field] of fields.entries()) {
            validateText(field, `${pointer}/fields/${i}`, SLACK_API_LIMITS.fieldText, errors);
          }
        }
      }
      return;
    }
    case 'context': {
      const elements = block.elements as unknown[];
      if (
        !Array.isArray(elements) ||
        elements.length === 0 ||
        elements.length > SLACK_API_LIMITS.contextElements
      ) {
        errors.push(
          `must have 1 to ${SLACK_API_LIMITS.contextElements} elements [json-pointer:${pointer}/elements]`,
        );
        return;
      }
      elements.forEach((element, i) => {
        if ((element as { type?: unknown }).type === 'image') return;
        validateText(element, `${pointer}/elements/${i}`, SLACK_API_LIMITS.contextText, errors);
      });
      return;
    }
    case 'actions': {
      const elements = block.elements as unknown[];
      if (
        !Array.isArray(elements) ||
        elements.length === 0 ||
        elements.length > SLACK_API_LIMITS.actionsElements
      ) {
        errors.push(
          `must have 1 to ${SLACK_API_LIMITS.actionsElements} elements [json-pointer:${pointer}/elements]`,
        );
        return;
      }
      for (const [i, element] of elements.entries())
        validateButton(element, `${pointer}/elements/${i}`, errors, actionIds);
      return;
    }
    default:
      errors.push(`unsupported block type ${String(block.type)} [json-pointer:${pointer}/type]`);
  }
}

function validateButton(value: unknown, pointer: string, errors: string[], actionIds: Set<string>): void {
  const button = value as Record<string, unknown>;
  if (button?.type !== 'button') {
    errors.push(`unsupported element type [json-pointer:${pointer}/type]`);
    return;
  }
  validateText(button.text, `${pointer}/text`, SLACK_API_LIMITS.buttonText, errors, true);
  const actionId = button.action_id;
  if (actionId !== undefined) {
    if (
      typeof actionId !== 'string' ||
      actionId.length === 0 ||
      actionId.length > SLACK_API_LIMITS.actionId
    ) {
      errors.push(`must be 1 to ${SLACK_API_LIMITS.actionId} characters [json-pointer:${pointer}/action_id]`);
    } else if (actionIds.has(actionId)) {
      errors.push(`duplicate action_id [json-pointer:${pointer}/action_id]`);
    } else {
      actionIds.add(actionId);
    }
  }
  if (
    button.value !== undefined &&
    (typeof button.value !== 'string' || button.value.length > SLACK_API_LIMITS.buttonValue)
  ) {
    errors.push(
      `must be less than ${SLACK_API_LIMITS.buttonValue + 1} characters [json-pointer:${pointer}/value]`,
    );
  }
  if (
    button.url !== undefined &&
    (typeof button.url !== 'string' || button.url.length > SLACK_API_LIMITS.buttonUrl)
  ) {
    errors.push(
      `must be less than ${SLACK_API_LIMITS.buttonUrl + 1} characters [json-pointer:${pointer}/url]`,
    );
  }
  if (button.style !== undefined && button.style !== 'primary' && button.style !== 'danger') {
    errors.push(`must be primary or danger [json-pointer:${pointer}/style]`);
  }
}
