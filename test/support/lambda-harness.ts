import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { isMap, isScalar, parseDocument } from 'yaml';
import { PROJECT_ROOT } from './lambda-bundle.ts';

/**
 * Runs the bundled Lambdas the way AWS does, on the local stack:
 * - `serverlessFunction` reads each function's settings from serverless.yml (timeout, memory, environment
 *   names, the SQS event source's batch size and batching window), so the test runs what is deployed;
 * - `LambdaFunction` is one execution environment: a child process (lambda-runtime.ts) that imports the
 *   bundle once with only the Lambda environment, then handles one invocation at a time; an invocation past
 *   the timeout kills it and the next one cold-starts a fresh process, as Lambda does;
 * - `SqsEventSource` is the event source mapping: it long-polls the queue, gathers a batch up to the batch
 *   size or the batching window, invokes with the SQS event Lambda builds (Records with messageId,
 *   receiptHandle, body, attributes.ApproximateReceiveCount, messageAttributes, eventSourceARN…), and deletes
 *   the messages not listed in `batchItemFailures`. A function error or an invalid response deletes nothing:
 *   the whole batch comes back after the visibility timeout (and reaches the DLQ after maxReceiveCount).
 * One poller per source (concurrency 1), so runs are reproducible on a small machine.
 */
export interface ServerlessFunction {
  name: string;
  /** `functions/ingest.handler` → file `functions/ingest`, export `handler`. */
  handlerFile: string;
  handlerExport: string;
  timeoutSeconds: number;
  memorySize: number;
  /** Provider-wide then function variables: a literal value, or a reference the test must resolve locally. */
  environment: Record<string, { literal: string } | { reference: string }>;
  sqs: { batchSize: number; maximumBatchingWindowSeconds: number; reportsBatchItemFailures: boolean } | null;
}

/** Lambda's defaults when serverless.yml says nothing (and the SQS event source's). */
const DEFAULT_TIMEOUT_SECONDS = 6;
const DEFAULT_MEMORY = 1024;
const DEFAULT_SQS_BATCH = 10;

export function serverlessFunction(
  name: string,
  path = join(PROJECT_ROOT, 'serverless.yml'),
): ServerlessFunction {
  // CloudFormation tags (!Ref, !GetAtt…) are kept as tags on the nodes; only literals are taken as values.
  const doc = parseDocument(readFileSync(path, 'utf8'), { logLevel: 'silent' });
  const fn = doc.getIn(['functions', name], true);
  if (!isMap(fn)) throw new Error(`serverless.yml has no function "${name}"`);
  const provider = doc.get('provider', true);
  const environment: ServerlessFunction['environment'] = {};
  for (const source of [
    isMap(provider) ? provider.get('environment', true) : null,
    fn.get('environment', true),
  ]) {
    if (!isMap(source)) continue;
    for (const pair of source.items) {
      const key = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const value = pair.value;
      const literal =
        isScalar(value) &&
        !value.tag &&
        typeof value.value !== 'object' &&
        !String(value.value).includes('${');
      environment[key] = literal
        ? { literal: String((value as { value: unknown }).value) }
        : { reference: String(value) };
    }
  }
  const plain = doc.toJS({ maxAliasCount: -1 }) as {
    provider?: { timeout?: number; memorySize?: number };
    functions: Record<
      string,
      {
        handler: string;
        timeout?: number;
        memorySize?: number;
        events?: Array<{
          sqs?: { batchSize?: number; maximumBatchingWindow?: number; functionResponseType?: string };
        }>;
      }
    >;
  };
  const spec = plain.functions[name]!;
  const dot = spec.handler.lastIndexOf('.');
  const sqs = spec.events?.find((event) => event.sqs)?.sqs;
  return {
    name,
    handlerFile: spec.handler.slice(0, dot),
    handlerExport: spec.handler.slice(dot + 1),
    timeoutSeconds: spec.timeout ?? plain.provider?.timeout ?? DEFAULT_TIMEOUT_SECONDS,
    memorySize: spec.memorySize ?? plain.provider?.memorySize ?? DEFAULT_MEMORY,
    environment,
    sqs: sqs
      ? {
          batchSize: sqs.batchSize ?? DEFAULT_SQS_BATCH,
          maximumBatchingWindowSeconds: sqs.maximumBatchingWindow ?? 0,
          reportsBatchItemFailures: sqs.functionResponseType === 'ReportBatchItemFailures',
        }
      : null,
  };
}

/**
 * The function's environment as Lambda would give it: serverless.yml's literals as they are, every reference
 * (!Ref, ${param:…}) from `resolved` — a reference the test does not resolve is an error, so a variable added
 * to serverless.yml cannot go untested — plus `local` (emulator endpoints, credentials) and the variables the
 * Lambda runtime itself sets.
 */
export function lambdaEnvironment(
  fn: ServerlessFunction,
  resolved: Record<string, string>,
  local: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_LAMBDA_FUNCTION_NAME: `pullwatch-local-${fn.name}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    LAMBDA_TASK_ROOT: PROJECT_ROOT,
    _HANDLER: `${fn.handlerFile}.${fn.handlerExport}`,
    TZ: ':UTC',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  for (const [name, value] of Object.entries(fn.environment)) {
    if ('literal' in value && !(name in resolved)) {
      env[name] = value.literal;
      continue;
    }
    const given = resolved[name];
    if (given === undefined) {
      throw new Error(
        `serverless.yml gives ${fn.name} ${name} (${'reference' in value ? value.reference : value.literal}); resolve it for the local stack`,
      );
    }
    env[name] = given;
  }
  return { ...env, ...local };
}

/** What Lambda reports for a failed invocation: the error's type (`Sandbox.Timedout`, the thrown name…). */
export class FunctionError extends Error {
  readonly errorType: string;
  constructor(message: string, errorType: string) {
    super(message);
    this.name = 'FunctionError';
    this.errorType = errorType;
  }
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** One execution environment of a bundled function (see the module comment). */
export class LambdaFunction {
  readonly name: string;
  #bundle: string;
  #export: string;
  #env: Record<string, string>;
  #timeoutMs: number;
  #child: ChildProcess | null = null;
  #ready: Promise<void> | null = null;
  #pending = new Map<number, Pending>();
  #next = 0;
  #chain: Promise<unknown> = Promise.resolve();
  #output: string[] = [];
  coldStarts = 0;
  invocations = 0;

  constructor(options: {
    fn: ServerlessFunction;
    bundle: string;
    env: Record<string, string>;
    /** Overrides serverless.yml's timeout (e.g. to test a timeout); default the deployed one. */
    timeoutMs?: number;
  }) {
    this.name = options.fn.name;
    this.#bundle = options.bundle;
    this.#export = options.fn.handlerExport;
    this.#env = options.env;
    this.#timeoutMs = options.timeoutMs ?? options.fn.timeoutSeconds * 1000;
  }

  /** The function's recent stdout/stderr (its JSON logs), for failure messages. */
  output(lines = 60): string {
    return this.#output.slice(-lines).join('\n');
  }

  /** Cold start: spawn and import the bundle (init). Invocations call it themselves. */
  start(): Promise<void> {
    this.#ready ??= new Promise<void>((resolve, reject) => {
      this.coldStarts += 1;
      const child = spawn(
        process.execPath,
        [join(import.meta.dirname, 'lambda-runtime.ts'), this.#bundle, this.#export],
        {
          env: this.#env,
          cwd: PROJECT_ROOT,
          stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
          serialization: 'advanced',
        },
      );
      this.#child = child;
      const keep = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line) this.#output.push(line);
        if (this.#output.length > 2000) this.#output.splice(0, this.#output.length - 1000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.on('message', (message: Record<string, unknown>) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error') {
          const error = message.error as { name: string; message: string };
          reject(new FunctionError(`${this.name} init failed: ${error.message}`, error.name));
        } else if (message.type === 'result') this.#settle(message);
      });
      child.on('exit', (code, signal) => {
        const error = new FunctionError(
          `${this.name} runtime exited (${signal ?? code})\n${this.output(20)}`,
          'Runtime.ExitError',
        );
        reject(error);
        for (const pending of this.#pending.values()) {
          clearTimeout(pending.timer);
          pending.reject(error);
        }
        this.#pending.clear();
        if (this.#child === child) {
          this.#child = null;
          this.#ready = null;
        }
      });
    });
    return this.#ready;
  }

  /** Invokes synchronously (RequestResponse); concurrent calls wait their turn, as in one environment. */
  invoke<R = unknown>(event: unknown): Promise<R> {
    const run = this.#chain.then(
      () => this.#invokeNow(event),
      () => this.#invokeNow(event),
    );
    this.#chain = run.catch(() => undefined);
    return run as Promise<R>;
  }

  async #invokeNow(event: unknown): Promise<unknown> {
    await this.start();
    const child = this.#child!;
    const id = ++this.#next;
    this.invocations += 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new FunctionError(`${this.name} timed out after ${this.#timeoutMs} ms`, 'Sandbox.Timedout'));
        // Lambda discards an environment whose invocation timed out.
        child.kill('SIGKILL');
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      child.send({ type: 'invoke', id, event, requestId: randomUUID(), timeoutMs: this.#timeoutMs });
    });
  }

  #settle(message: Record<string, unknown>): void {
    const pending = this.#pending.get(message.id as number);
    if (!pending) return;
    this.#pending.delete(message.id as number);
    clearTimeout(pending.timer);
    if (message.ok) pending.resolve(message.value);
    else {
      const error = message.error as { name: string; message: string };
      pending.reject(new FunctionError(error.message, error.name));
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

export interface EventSourceStats {
  invocations: number;
  records: number;
  deleted: number;
  /** Records the function reported in batchItemFailures. */
  itemFailures: number;
  /** Invocations that threw, timed out or answered something Lambda would not accept. */
  functionErrors: number;
  lastError: string | null;
}

/** The SQS event source mapping of one function (see the module comment). */
export class SqsEventSource {
  readonly stats: EventSourceStats = {
    invocations: 0,
    records: 0,
    deleted: 0,
    itemFailures: 0,
    functionErrors: 0,
    lastError: null,
  };
  #fn: LambdaFunction;
  #client: SQSClient;
  #queueUrl: string;
  #queueArn: string;
  #region: string;
  #batchSize: number;
  #windowMs: number;
  #reportsFailures: boolean;
  #running = false;
  #busy = false;
  #loop: Promise<void> | null = null;

  constructor(options: {
    fn: LambdaFunction;
    settings: NonNullable<ServerlessFunction['sqs']>;
    client: SQSClient;
    queueUrl: string;
    queueArn: string;
    region: string;
    /** Overrides serverless.yml's batching window (milliseconds). */
    windowMs?: number;
  }) {
    this.#fn = options.fn;
    this.#client = options.client;
    this.#queueUrl = options.queueUrl;
    this.#queueArn = options.queueArn;
    this.#region = options.region;
    this.#batchSize = options.settings.batchSize;
    this.#windowMs = options.windowMs ?? options.settings.maximumBatchingWindowSeconds * 1000;
    this.#reportsFailures = options.settings.reportsBatchItemFailures;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#poll();
  }

  /** No batch gathered or in flight. */
  idle(): boolean {
    return !this.#busy;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }

  async #poll(): Promise<void> {
    while (this.#running) {
      try {
        const batch = await this.#gather();
        if (batch.length > 0) await this.#deliver(batch);
      } catch (error) {
        this.stats.lastError = String(error);
        await sleep(100);
      } finally {
        this.#busy = false;
      }
    }
  }

  /** Up to the batch size, for at most the batching window after the first message. */
  async #gather(): Promise<Message[]> {
    const batch: Message[] = [];
    let windowEnds: number | null = null;
    while (this.#running && batch.length < this.#batchSize) {
      const received = await this.#client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#queueUrl,
          MaxNumberOfMessages: Math.min(10, this.#batchSize - batch.length),
          // Long polling while empty (1 s, so stop() is quick); once gathering, only what is there.
          WaitTimeSeconds: windowEnds === null ? 1 : 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const messages = received.Messages ?? [];
      if (messages.length > 0) {
        this.#busy = true;
        batch.push(...messages);
        windowEnds ??= Date.now() + this.#windowMs;
      }
      if (windowEnds === null) continue;
      const left = windowEnds - Date.now();
      if (left <= 0) break;
      if (messages.length === 0) await sleep(Math.min(50, left));
    }
    return batch;
  }

  async #deliver(batch: Message[]): Promise<void> {
    const event: SQSEvent = { Records: batch.map((message) => this.#record(message)) };
    this.stats.invocations += 1;
    this.stats.records += batch.length;
    let failed: Set<string>;
    try {
      const response = (await this.#fn.invoke<SQSBatchResponse | null>(event)) ?? null;
      failed = this.#failedIds(response, batch);
    } catch (error) {
      this.stats.functionErrors += 1;
      this.stats.lastError = error instanceof Error ? error.message : String(error);
      return;
    }
    this.stats.itemFailures += failed.size;
    const done = batch.filter((message) => !failed.has(message.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      const chunk = done.slice(i, i + 10);
      const result = await this.#client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.#queueUrl,
          Entries: chunk.map((message, n) => ({ Id: String(n), ReceiptHandle: message.ReceiptHandle! })),
        }),
      );
      this.stats.deleted += result.Successful?.length ?? 0;
    }
  }

  /** Lambda's rules: no report → all succeeded; an unknown or empty identifier fails the whole batch. */
  #failedIds(response: SQSBatchResponse | null, batch: Message[]): Set<string> {
    const all = new Set(batch.map((message) => message.MessageId!));
    if (!this.#reportsFailures || response === null || response.batchItemFailures === undefined) {
      return new Set();
    }
    if (!Array.isArray(response.batchItemFailures)) {
      this.stats.functionErrors += 1;
      this.stats.lastError = 'batchItemFailures is not a list';
      return all;
    }
    const failed = new Set<string>();
    for (const item of response.batchItemFailures) {
      const id = item?.itemIdentifier;
      if (typeof id !== 'string' || !all.has(id)) {
        this.stats.lastError = `invalid itemIdentifier ${JSON.stringify(id)}`;
        return all;
      }
      failed.add(id);
    }
    return failed;
  }

  #record(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'AIDAEXAMPLE',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          {
            dataType: value.DataType ?? 'String',
            ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
            ...(value.BinaryValue !== undefined
              ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }
              : {}),
            stringListValues: [],
            binaryListValues: [],
          },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#queueArn,
      awsRegion: this.#region,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
