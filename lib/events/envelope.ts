import { PullwatchError } from '../errors.ts';
import * as z from '../zod.ts';

/**
 * The forwarder ⇄ Lambda contract (DESIGN.md §4). Versioned: a reader rejects versions it does not know
 * instead of guessing, so a forwarder upgrade can never be silently misread.
 */
export const ENVELOPE_VERSION = 1;

/** What a producer packs into one message: well under the classic 256 KiB SQS limit, attributes included. */
export const MAX_MESSAGE_BYTES = 240 * 1024;
/** What a reader accepts: SQS's own ceiling (1 MiB). Anything larger did not come from SQS intact. */
export const MAX_QUEUE_BODY_BYTES = 1024 * 1024;

const name = z.string().check(z.minLength(1), z.maxLength(253));
const optionalText = (max: number) => z.nullish(z.string().check(z.maxLength(max)));
const timestamp = z.nullish(z.string().check(z.maxLength(64)));
const count = z.nullish(z.number().check(z.int(), z.nonnegative()));

const objectReference = z.object({
  apiVersion: optionalText(128),
  kind: optionalText(128),
  name: optionalText(253),
  namespace: optionalText(253),
  uid: optionalText(128),
  fieldPath: optionalText(512),
  resourceVersion: optionalText(128),
});

const metadata = z.object({
  name: optionalText(253),
  namespace: optionalText(253),
  uid: optionalText(128),
  resourceVersion: optionalText(128),
  creationTimestamp: timestamp,
});

const series = z.object({ count, lastObservedTime: timestamp });
const eventSource = z.object({ component: optionalText(256), host: optionalText(253) });

/** core/v1 Event, trimmed to what pullwatch reads (unknown fields are dropped, not rejected). */
export const coreEventSchema = z.object({
  apiVersion: z.optional(z.literal('v1')),
  kind: z.optional(z.literal('Event')),
  metadata: z.optional(metadata),
  involvedObject: objectReference,
  reason: optionalText(256),
  message: optionalText(16 * 1024),
  type: optionalText(64),
  count,
  firstTimestamp: timestamp,
  lastTimestamp: timestamp,
  eventTime: timestamp,
  series: z.nullish(series),
  source: z.nullish(eventSource),
  reportingComponent: optionalText(256),
  reportingInstance: optionalText(256),
});

/** events.k8s.io/v1 Event: `regarding`/`note`/`deprecated*` instead of the core/v1 names. */
export const eventsV1EventSchema = z.object({
  apiVersion: z.literal('events.k8s.io/v1'),
  kind: z.optional(z.literal('Event')),
  metadata: z.optional(metadata),
  regarding: objectReference,
  reason: optionalText(256),
  note: optionalText(16 * 1024),
  type: optionalText(64),
  action: optionalText(256),
  eventTime: timestamp,
  series: z.nullish(series),
  reportingController: optionalText(256),
  reportingInstance: optionalText(256),
  deprecatedCount: count,
  deprecatedFirstTimestamp: timestamp,
  deprecatedLastTimestamp: timestamp,
  deprecatedSource: z.nullish(eventSource),
});

export const kubeEventSchema = z.union([eventsV1EventSchema, coreEventSchema]);
export type CoreEvent = z.infer<typeof coreEventSchema>;
export type EventsV1Event = z.infer<typeof eventsV1EventSchema>;
export type KubeEvent = z.infer<typeof kubeEventSchema>;

const workloadRef = z.object({ kind: name, name });

export const podContextSchema = z.object({
  name,
  uid: optionalText(128),
  namespace: name,
  serviceAccount: optionalText(253),
  nodeName: optionalText(253),
  imagePullSecrets: z._default(z.array(name).check(z.maxLength(64)), []),
  containers: z._default(
    z
      .array(
        z.object({
          name,
          image: z.string().check(z.minLength(1), z.maxLength(4096)),
          imagePullPolicy: z.nullish(z.enum(['Always', 'IfNotPresent', 'Never'])),
        }),
      )
      .check(z.maxLength(128)),
    [],
  ),
  owner: z.nullish(workloadRef),
  workload: z.nullish(workloadRef),
});

export const nodeContextSchema = z.object({
  name,
  os: optionalText(64),
  arch: optionalText(64),
  variant: optionalText(64),
});

/** What the forwarder learned about a named pull secret: never its credentials, only which hosts it covers. */
export const pullSecretSchema = z.object({
  name,
  exists: z.boolean(),
  type: optionalText(128),
  registries: z._default(
    z.array(z.string().check(z.minLength(1), z.maxLength(512))).check(z.maxLength(256)),
    [],
  ),
});

const envelopeBase = {
  v: z.literal(ENVELOPE_VERSION),
  cluster: z.string().check(z.minLength(1), z.maxLength(128)),
  forwardedAt: z.iso.datetime({ offset: true }),
  event: kubeEventSchema,
  pod: z.nullish(podContextSchema),
  node: z.nullish(nodeContextSchema),
  pullSecrets: z.nullish(z.array(pullSecretSchema).check(z.maxLength(64))),
};

export const envelopeSchema = z.discriminatedUnion('kind', [
  z.object({ ...envelopeBase, kind: z.literal('event') }),
  // A pod that failed to pull before has now pulled the image (a `Pulled` event after forwarded failures).
  z.object({ ...envelopeBase, kind: z.literal('resolved') }),
]);

export type Envelope = z.infer<typeof envelopeSchema>;
export type PodContext = z.infer<typeof podContextSchema>;
export type NodeContext = z.infer<typeof nodeContextSchema>;
export type PullSecretInfo = z.infer<typeof pullSecretSchema>;
/** What a producer writes; defaults (empty lists) are filled in by the parser. */
export type EnvelopeInput = z.input<typeof envelopeSchema>;

export class EnvelopeError extends PullwatchError {
  override readonly name: string = 'EnvelopeError';
}

function describeIssues(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Validates one envelope. Throws EnvelopeError with code `envelope_version_unsupported` for a version this
 * build does not read and `envelope_invalid` naming the offending fields otherwise.
 */
export function parseEnvelope(input: unknown): Envelope {
  if (typeof input === 'object' && input !== null && 'v' in input && input.v !== ENVELOPE_VERSION) {
    throw new EnvelopeError(
      'envelope_version_unsupported',
      `unsupported envelope version ${JSON.stringify(input.v)} (this build reads v${ENVELOPE_VERSION})`,
    );
  }
  const result = envelopeSchema.safeParse(input);
  if (!result.success) {
    throw new EnvelopeError('envelope_invalid', `invalid envelope: ${describeIssues(result.error)}`, {
      cause: result.error,
    });
  }
  return result.data;
}

export type EnvelopeResult =
  | { ok: true; index: number; envelope: Envelope }
  | { ok: false; index: number; error: EnvelopeError; raw: unknown };

/**
 * Reads one queue message body: a single envelope or a pack `{ v: 1, pack: [...] }`. Each envelope in a pack
 * is validated on its own, so one bad entry never takes its neighbours down; a body that is not JSON, too
 * large, or of an unknown version yields one failed result for the whole body.
 */
export function parseQueueMessage(body: string): EnvelopeResult[] {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > MAX_QUEUE_BODY_BYTES) {
    return [
      fail(
        0,
        'message_too_large',
        `message body of ${bytes} bytes exceeds ${MAX_QUEUE_BODY_BYTES} bytes`,
        body,
      ),
    ];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (cause) {
    return [fail(0, 'message_not_json', 'message body is not JSON', body, cause)];
  }
  if (typeof parsed === 'object' && parsed !== null && 'pack' in parsed) {
    const pack = parsed as { v?: unknown; pack: unknown };
    if (pack.v !== ENVELOPE_VERSION) {
      return [
        fail(
          0,
          'envelope_version_unsupported',
          `unsupported pack version ${JSON.stringify(pack.v)} (this build reads v${ENVELOPE_VERSION})`,
          parsed,
        ),
      ];
    }
    if (!Array.isArray(pack.pack)) {
      return [fail(0, 'envelope_invalid', 'invalid pack: pack: expected an array of envelopes', parsed)];
    }
    return pack.pack.map((entry, index) => parseOne(entry, index));
  }
  return [parseOne(parsed, 0)];
}

function parseOne(entry: unknown, index: number): EnvelopeResult {
  try {
    return { ok: true, index, envelope: parseEnvelope(entry) };
  } catch (error) {
    if (error instanceof EnvelopeError) return { ok: false, index, error, raw: entry };
    throw error;
  }
}

function fail(index: number, code: string, message: string, raw: unknown, cause?: unknown): EnvelopeResult {
  return { ok: false, index, error: new EnvelopeError(code, message, { cause }), raw };
}
