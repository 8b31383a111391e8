import { pathToFileURL } from 'node:url';

/**
 * The child-process side of lambda-harness.ts: a small stand-in for the Lambda Node.js runtime's bootstrap.
 * Like the runtime it imports the bundle once (init; an import error is an init error), takes the exported
 * `handler`, and invokes it one event at a time with a Lambda context whose remaining time counts down from
 * the function's timeout. Messages go over the IPC channel; the function's own output stays on stdout/stderr.
 *
 * Run as: node lambda-runtime.ts <bundle.mjs> <exported name>
 */
interface InvokeMessage {
  type: 'invoke';
  id: number;
  event: unknown;
  requestId: string;
  timeoutMs: number;
}

type Handler = (event: unknown, context: Record<string, unknown>) => Promise<unknown>;

const [bundle, exportName = 'handler'] = process.argv.slice(2);
const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
const region = process.env.AWS_REGION ?? 'us-east-1';

function send(message: Record<string, unknown>): void {
  process.send?.(message);
}

function describe(error: unknown): { name: string; message: string; stack: string } {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack ?? '' };
  return { name: 'Error', message: String(error), stack: '' };
}

function context(message: InvokeMessage): Record<string, unknown> {
  const deadline = Date.now() + message.timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '256',
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

let handler: Handler;
try {
  if (!bundle) throw new Error('usage: lambda-runtime.ts <bundle> [export]');
  const module = (await import(pathToFileURL(bundle).href)) as Record<string, unknown>;
  const exported = module[exportName];
  if (typeof exported !== 'function') throw new Error(`${bundle} exports no function "${exportName}"`);
  handler = exported as Handler;
  send({ type: 'ready' });
} catch (error) {
  send({ type: 'init-error', error: describe(error) });
  process.exit(1);
}

process.on('message', (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  handler(message.event, context(message)).then(
    (value) => send({ type: 'result', id: message.id, ok: true, value: value ?? null }),
    (error: unknown) => send({ type: 'result', id: message.id, ok: false, error: describe(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
