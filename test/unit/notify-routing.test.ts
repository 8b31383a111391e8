import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  globMatch,
  parseRoutingConfig,
  RoutingConfigError,
  route,
  routeAlert,
  routingConfigSchema,
} from '../../lib/notify/routing.ts';
import { severityOf } from '../../lib/notify/severity.ts';
import { registryIncident, tagDiagnosis, workloadIncident } from './notify-fixtures.ts';

const PAYMENTS_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:payments-alerts';
const PLATFORM_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:platform.fifo';

const config = parseRoutingConfig({
  rules: [
    { name: 'dev is noisy', match: { cluster: 'dev-*' }, drop: true },
    {
      name: 'payments',
      match: { namespace: ['payments', 'payments-*'] },
      slack: ['C0PAYMENTS'],
      sns: [PAYMENTS_TOPIC],
    },
    { name: 'auth to security', match: { category: 'auth', severity: 'critical' }, slack: ['#security'] },
    {
      name: 'registry to platform',
      match: { kind: 'registry' },
      slack: ['C0PLATFORM'],
      sns: [PLATFORM_TOPIC],
    },
    { match: { cause: ['rate_limited', 'timeout'], cluster: 'prod-??' }, slack: ['#pull-noise'] },
  ],
  default: { slack: ['C0ALERTS01'] },
});

describe('route', () => {
  it('takes the first rule whose every condition matches, and says which', () => {
    const incident = workloadIncident({ namespace: 'payments-eu', cause: 'unauthorized', category: 'auth' });
    expect(route(incident, 'critical', config)).toEqual({
      slack: ['C0PAYMENTS'],
      sns: [PAYMENTS_TOPIC],
      reason: 'rules[1] "payments"',
      dropped: false,
    });
    const auth = workloadIncident({ cause: 'unauthorized', category: 'auth' });
    expect(route(auth, 'critical', config).reason).toBe('rules[2] "auth to security"');
    expect(route(auth, 'warning', config).reason).toBe('default');
  });

  it('falls back to the default', () => {
    expect(route(workloadIncident(), 'critical', config)).toEqual({
      slack: ['C0ALERTS01'],
      sns: [],
      reason: 'default',
      dropped: false,
    });
  });

  it('drops on purpose when a drop rule matches', () => {
    const result = route(workloadIncident({ cluster: 'dev-7' }), 'critical', config);
    expect(result).toMatchObject({ slack: [], sns: [], dropped: true, reason: 'rules[0] "dev is noisy"' });
  });

  it('matches globs on the cluster (? is one character)', () => {
    const incident = workloadIncident({ cause: 'timeout', category: 'network' });
    expect(route({ ...incident, cluster: 'prod-eu' }, 'warning', config).reason).toBe('rules[4]');
    expect(route({ ...incident, cluster: 'prod-east' }, 'warning', config).reason).toBe('default');
  });

  it('matches a namespace rule for a registry incident through its affected workloads', () => {
    const registry = registryIncident(3, {
      affected: [{ namespace: 'payments', workload: { kind: 'Deployment', name: 'pay' }, image: 'x' }],
    });
    expect(route(registry, 'critical', config).reason).toBe('rules[1] "payments"');
    expect(route(registryIncident(1), 'critical', config).reason).toBe('rules[3] "registry to platform"');
  });

  it('routes on the registry verdict with routeAlert', () => {
    const incident = workloadIncident({ cause: 'repo_not_found_or_denied', category: 'availability' });
    const verdict = tagDiagnosis({ cause: 'forbidden', category: 'auth' });
    expect(route(incident, severityOf(incident), config).reason).toBe('default');
    expect(routeAlert(incident, verdict, config).reason).toBe('rules[2] "auth to security"');
  });
});

describe('parseRoutingConfig', () => {
  it('accepts an empty config (alerts go nowhere but the terminal)', () => {
    expect(parseRoutingConfig({})).toEqual({ rules: [], default: { slack: [], sns: [] } });
  });

  it('names the rule index, its name and the field of every problem', () => {
    const bad = {
      rules: [
        { name: 'ok', match: { cluster: 'prod' }, slack: ['C0ALERTS01'] },
        { name: 'typo', match: { namespcae: 'shop' }, slack: ['C0ALERTS01'] },
        { match: { cause: ['tag_missing'] }, sns: ['arn:aws:sqs:eu-west-1:123456789012:q'] },
        { name: 'no target', match: { severity: 'critical' } },
      ],
    };
    let error: unknown;
    try {
      parseRoutingConfig(bad);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RoutingConfigError);
    const issues = (error as RoutingConfigError).issues;
    expect((error as RoutingConfigError).code).toBe('routing_config_invalid');
    expect(issues.some((i) => i.startsWith('rules[1] "typo" match:') && i.includes('namespcae'))).toBe(true);
    expect(issues.some((i) => i.startsWith('rules[2] match.cause[0]:'))).toBe(true);
    expect(issues.some((i) => i.startsWith('rules[2] sns[0]:') && i.includes('SNS topic ARN'))).toBe(true);
    expect(
      issues.some((i) => i.startsWith('rules[3] "no target" slack:') && i.includes('names no target')),
    ).toBe(true);
    expect(issues.some((i) => i.startsWith('rules[0]'))).toBe(false);
  });

  it('rejects a drop rule that also names targets, and bad globs or channels', () => {
    expect(() => parseRoutingConfig({ rules: [{ drop: true, slack: ['C0ALERTS01'] }] })).toThrow(
      /rules\[0\] drop: /,
    );
    expect(() =>
      parseRoutingConfig({ rules: [{ match: { namespace: 'a b' }, slack: ['C0A1B2C3D'] }] }),
    ).toThrow(/rules\[0\] match.namespace\[0\]: /);
    expect(() => parseRoutingConfig({ default: { slack: ['not a channel'] } })).toThrow(/default.slack\[0\]/);
  });

  it('exports the zod schema for the config module', () => {
    expect(routingConfigSchema.safeParse({ rules: [{ slack: ['#alerts'] }] }).success).toBe(true);
  });
});

describe('globMatch', () => {
  it('matches whole strings with * and ?', () => {
    expect(globMatch('payments-*', 'payments-eu')).toBe(true);
    expect(globMatch('payments-*', 'payments')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyyc')).toBe(true);
    expect(globMatch('a*b*c', 'axxbyy')).toBe(false);
    expect(globMatch('prod-??', 'prod-eu')).toBe(true);
    expect(globMatch('prod', 'production')).toBe(false);
  });

  it('agrees with an equivalent regular expression (property)', () => {
    const pattern = fc.stringMatching(/^[ab*?]{0,8}$/);
    const text = fc.stringMatching(/^[ab]{0,10}$/);
    fc.assert(
      fc.property(pattern, text, (p, t) => {
        const regex = new RegExp(`^${p.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
        expect(globMatch(p, t)).toBe(regex.test(t));
      }),
    );
  });
});
