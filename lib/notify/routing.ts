import { CAUSE_CATEGORY, CAUSES, type Category, type Cause } from '../classify/causes.ts';
import type { Diagnosis } from '../diagnose/types.ts';
import { PullwatchError } from '../errors.ts';
import type { Incident, IncidentKind } from '../incidents/types.ts';
import * as z from '../zod.ts';
import { effectiveCategory, effectiveCause, SEVERITIES, type Severity, severityOf } from './severity.ts';

/**
 * Where an alert goes. Rules are tried in order and the first whose every condition matches wins; when none
 * does, `default` applies. A condition lists accepted values (any one matches); cluster and namespace take
 * globs (`*` any run of characters, `?` one character). Config is data, validated once at start.
 */
const CATEGORIES = [...new Set(Object.values(CAUSE_CATEGORY))] as [Category, ...Category[]];
const KINDS = ['workload', 'registry'] as const satisfies readonly IncidentKind[];

/** One value or a list; a single value is wrapped first so errors point at the list element that is wrong. */
const oneOrMany = <T extends z.core.$ZodType>(item: T) =>
  z.pipe(
    z.transform((value: unknown) => (value === undefined || Array.isArray(value) ? value : [value])),
    z.array(item).check(z.minLength(1)),
  );

const glob = z
  .string()
  .check(
    z.minLength(1, 'an empty pattern matches nothing; leave the condition out to match everything'),
    z.maxLength(253),
    z.regex(/^[A-Za-z0-9.*?_-]+$/, 'allowed: letters, digits, . _ - and the wildcards * ?'),
  );

/** A channel id (C…, G…) or a name (#alerts or alerts); chat.postMessage accepts both. */
const slackChannel = z
  .string()
  .check(
    z.regex(
      /^(#?[a-z0-9][a-z0-9._-]{0,79}|[CGD][A-Z0-9]{6,20})$/,
      'expected a channel id like C0123ABCD or a name like #alerts',
    ),
  );

const snsTopicArn = z
  .string()
  .check(
    z.regex(
      /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/,
      'expected an SNS topic ARN like arn:aws:sns:eu-west-1:123456789012:pull-alerts',
    ),
  );

const targetsShape = {
  slack: z._default(z.array(slackChannel).check(z.maxLength(10)), []),
  sns: z._default(z.array(snsTopicArn).check(z.maxLength(10)), []),
};

const matchSchema = z.strictObject({
  cluster: z.optional(oneOrMany(glob)),
  namespace: z.optional(oneOrMany(glob)),
  cause: z.optional(oneOrMany(z.enum(CAUSES as [Cause, ...Cause[]]))),
  category: z.optional(oneOrMany(z.enum(CATEGORIES))),
  severity: z.optional(oneOrMany(z.enum(SEVERITIES))),
  kind: z.optional(oneOrMany(z.enum(KINDS))),
});

const ruleSchema = z
  .strictObject({
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
    match: z._default(matchSchema, {}),
    ...targetsShape,
    /** Match and send nothing (a noisy dev cluster): an explicit choice, never an accident of empty lists. */
    drop: z._default(z.boolean(), false),
  })
  .check(
    z.superRefine((rule, ctx) => {
      const targets = rule.slack.length + rule.sns.length;
      if (rule.drop && targets > 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'a rule with drop: true cannot also name targets',
          path: ['drop'],
        });
      }
      if (!rule.drop && targets === 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'names no target: add slack channels or sns topics (or drop: true to silence on purpose)',
          path: ['slack'],
        });
      }
    }),
  );

export const routingConfigSchema = z.strictObject({
  rules: z._default(z.array(ruleSchema).check(z.maxLength(500)), []),
  default: z._default(z.strictObject(targetsShape), { slack: [], sns: [] }),
});

export type RoutingConfig = z.output<typeof routingConfigSchema>;
export type RoutingRule = RoutingConfig['rules'][number];

export class RoutingConfigError extends PullwatchError {
  override readonly name: string = 'RoutingConfigError';
  readonly issues: string[];

  constructor(issues: string[], options?: { cause?: unknown }) {
    super('routing_config_invalid', `invalid routing config:\n  ${issues.join('\n  ')}`, options);
    this.issues = issues;
  }
}

/** Validate routing config; every problem is reported with the rule (index and name) and the field. */
export function parseRoutingConfig(input: unknown): RoutingConfig {
  const result = routingConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issuePlace(input, issue.path)}: ${issue.message}`);
  throw new RoutingConfigError(issues, { cause: result.error });
}

function issuePlace(input: unknown, path: readonly PropertyKey[]): string {
  if (path[0] === 'rules' && typeof path[1] === 'number') {
    const rules = (input as { rules?: unknown })?.rules;
    const rule = Array.isArray(rules) ? (rules[path[1]] as { name?: unknown } | undefined) : undefined;
    const name = typeof rule?.name === 'string' ? ` "${rule.name}"` : '';
    const field = formatPath(path.slice(2));
    return `rules[${path[1]}]${name}${field ? ` ${field}` : ''}`;
  }
  return formatPath(path) || '(config)';
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, part) => {
    if (typeof part === 'number') return `${text}[${part}]`;
    return text ? `${text}.${String(part)}` : String(part);
  }, '');
}

export interface RouteTargets {
  slack: string[];
  sns: string[];
  /** Which rule decided: `rules[2] "prod auth"`, or `default`. Logged and used as a metric label. */
  reason: string;
  dropped: boolean;
}

export type RouteSubject = Pick<
  Incident,
  'kind' | 'cluster' | 'namespace' | 'cause' | 'category' | 'affected'
>;

/**
 * First matching rule wins. A registry incident has no namespace of its own: a namespace condition matches
 * it when any affected workload's namespace matches, so a team still hears about a registry problem that
 * stops its pods.
 */
export function route(incident: RouteSubject, severity: Severity, config: RoutingConfig): RouteTargets {
  for (const [index, rule] of config.rules.entries()) {
    if (!matches(rule.match, incident, severity)) continue;
    const reason = `rules[${index}]${rule.name ? ` "${rule.name}"` : ''}`;
    return { slack: [...rule.slack], sns: [...rule.sns], reason, dropped: rule.drop };
  }
  return {
    slack: [...config.default.slack],
    sns: [...config.default.sns],
    reason: 'default',
    dropped: false,
  };
}

/** `route` on the cause the alert talks about (the registry check's verdict when there is one). */
export function routeAlert(
  incident: RouteSubject,
  diagnosis: Diagnosis | null | undefined,
  config: RoutingConfig,
): RouteTargets {
  const cause = effectiveCause(incident, diagnosis);
  const subject = { ...incident, cause, category: effectiveCategory(incident, diagnosis) };
  return route(subject, severityOf({ kind: incident.kind, cause }), config);
}

function matches(match: RoutingRule['match'], incident: RouteSubject, severity: Severity): boolean {
  if (match.cluster && !match.cluster.some((pattern) => globMatch(pattern, incident.cluster))) return false;
  if (match.namespace) {
    const namespaces =
      incident.namespace !== null ? [incident.namespace] : incident.affected.map((item) => item.namespace);
    const patterns = match.namespace;
    if (!namespaces.some((ns) => patterns.some((pattern) => globMatch(pattern, ns)))) return false;
  }
  if (match.cause && !match.cause.includes(incident.cause)) return false;
  if (match.category && !match.category.includes(incident.category)) return false;
  if (match.severity && !match.severity.includes(severity)) return false;
  if (match.kind && !match.kind.includes(incident.kind)) return false;
  return true;
}

/** Whole-string glob match; iterative with one backtrack point, so no pattern can make it slow. */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c === '?' || (c !== undefined && c !== '*' && c === text[t])) {
      p += 1;
      t += 1;
    } else if (c === '*') {
      star = p;
      mark = t;
      p += 1;
    } else if (star >= 0) {
      p = star + 1;
      mark += 1;
      t = mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}
