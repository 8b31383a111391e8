import { describe, expect, it } from 'vitest';
import { pullwatchConfigSchema } from '../../lib/config/pullwatch-config.ts';
import { clusterNameOf } from '../../lib/run/find-cluster.ts';
import { localTargets } from '../../lib/run/local-targets.ts';
import { DEFAULT_STATE_DIR, parseRunArgs, RunUsageError } from '../../lib/run/options.ts';

describe('pullwatch run options', () => {
  it('defaults: watch the current context, state in .pullwatch, text output', () => {
    expect(parseRunArgs([])).toEqual({
      replay: null,
      kubeconfig: null,
      context: null,
      namespaces: [],
      config: null,
      state: DEFAULT_STATE_DIR,
      fresh: false,
      json: false,
      once: false,
    });
  });

  it('reads every option; --namespace repeats', () => {
    expect(
      parseRunArgs([
        '--kubeconfig',
        '/tmp/kc',
        '--context',
        'prod',
        '--namespace',
        'shop',
        '--namespace=payments',
        '--namespace',
        'shop',
        '--config',
        'p.yml',
        '--state',
        '/var/tmp/pw',
        '--fresh',
        '--json',
        '--once',
      ]),
    ).toEqual({
      replay: null,
      kubeconfig: '/tmp/kc',
      context: 'prod',
      namespaces: ['shop', 'payments'],
      config: 'p.yml',
      state: '/var/tmp/pw',
      fresh: true,
      json: true,
      once: true,
    });
    expect(parseRunArgs(['--replay', '-'])).toMatchObject({ replay: '-' });
    expect(parseRunArgs(['--help'])).toBe('help');
    expect(parseRunArgs(['-h'])).toBe('help');
  });

  it.each([
    [['--bogus'], /bogus/],
    [['extra'], /unexpected argument "extra"/],
    [['--replay'], /argument missing|--replay/],
    [['--state', ''], /--state needs a value/],
    [['--namespace', 'Shop_1'], /not a namespace name/],
    [['--replay', 'x.ndjson', '--context', 'prod'], /does not take --kubeconfig or --context/],
    [['--json=yes'], /json/],
  ])('%j is a usage error', (args, message) => {
    expect(() => parseRunArgs(args)).toThrow(RunUsageError);
    expect(() => parseRunArgs(args)).toThrow(message);
  });
});

describe('cluster name from the kubeconfig context', () => {
  it.each([
    ['kind-dev', 'kind-dev'],
    ['arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu', 'prod-eu'],
    ['gke_acme_europe-west1_prod', 'gke_acme_europe-west1_prod'],
    ['admin@my cluster', 'admin-my-cluster'],
    ['---', 'local'],
  ])('%s → %s', (context, name) => {
    expect(clusterNameOf(context)).toBe(name);
  });
});

describe('where alerts go besides the terminal', () => {
  const config = (input: unknown = {}) => pullwatchConfigSchema.parse(input);
  const shared = {
    routing: {
      rules: [
        { name: 'payments', match: { namespace: 'payments' }, slack: ['C0PAYMENTS1'], sns: [] },
        {
          name: 'security',
          match: { category: 'auth' },
          sns: ['arn:aws:sns:eu-west-1:123456789012:security'],
        },
      ],
      default: { slack: ['#alerts'] },
    },
  };

  it('nothing configured: the terminal only, and no rule keeps a target', () => {
    const targets = localTargets(config(shared), {});
    expect(targets.described).toEqual(['the terminal']);
    expect(targets.slack).toBeNull();
    expect(targets.sns).toBeNull();
    expect(targets.routing.default).toEqual({ slack: [], sns: [] });
    for (const rule of targets.routing.rules) expect([...rule.slack, ...rule.sns]).toEqual([]);
    expect(targets.warnings).toEqual([]);
  });

  it('a bot token uses the routing channels; SLACK_CHANNEL becomes the default route', () => {
    const fromRouting = localTargets(config(shared), { SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(fromRouting.slack).toEqual({ token: 'xoxb-1', apiUrl: null });
    expect(fromRouting.routing.default.slack).toEqual(['#alerts']);
    expect(fromRouting.routing.rules[0]?.slack).toEqual(['C0PAYMENTS1']);
    expect(fromRouting.routing.rules[1]?.sns).toEqual([]);
    const fromEnv = localTargets(config(), { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_CHANNEL: '#pull-alerts' });
    expect(fromEnv.routing.default.slack).toEqual(['#pull-alerts']);
    expect(fromEnv.described).toEqual(['the terminal', 'Slack (#pull-alerts)']);
  });

  it('a token without any channel is a warning, and Slack stays off', () => {
    const targets = localTargets(config(), { SLACK_BOT_TOKEN: 'xoxb-1' });
    expect(targets.slack).toBeNull();
    expect(targets.warnings.join('\n')).toMatch(
      /SLACK_BOT_TOKEN is set but no Slack channel is: set SLACK_CHANNEL/,
    );
  });

  it('the token variable is the one the settings name', () => {
    const targets = localTargets(config({ slack: { botTokenEnv: 'MY_TOKEN' } }), {
      MY_TOKEN: 'xoxb-2',
      SLACK_CHANNEL: 'C0123ABCD',
    });
    expect(targets.slack?.token).toBe('xoxb-2');
  });

  it('PULLWATCH_SNS_TOPIC_ARN turns SNS on, as the default route, in the topic’s region', () => {
    const topic = 'arn:aws:sns:us-west-2:123456789012:pull-alerts';
    const targets = localTargets(config(shared), { PULLWATCH_SNS_TOPIC_ARN: topic });
    expect(targets.sns).toEqual({ topicArn: topic, region: 'us-west-2', endpoint: null });
    const local = localTargets(config(), {
      PULLWATCH_SNS_TOPIC_ARN: topic,
      SNS_ENDPOINT: 'http://127.0.0.1:4566',
    });
    expect(local.sns?.endpoint).toBe('http://127.0.0.1:4566');
    expect(targets.routing.default.sns).toEqual([topic]);
    expect(targets.routing.rules[1]?.sns).toEqual(['arn:aws:sns:eu-west-1:123456789012:security']);
    expect(targets.routing.default.slack).toEqual([]);
    expect(targets.described).toEqual(['the terminal', `SNS (${topic})`]);
  });

  it('malformed variables are named in a warning and ignored', () => {
    const targets = localTargets(config(), {
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_CHANNEL: 'not a channel!',
      PULLWATCH_SNS_TOPIC_ARN: 'arn:nope',
    });
    expect(targets.sns).toBeNull();
    expect(targets.slack).toBeNull();
    expect(targets.warnings.join('\n')).toMatch(/SLACK_CHANNEL ignored/);
    expect(targets.warnings.join('\n')).toMatch(/PULLWATCH_SNS_TOPIC_ARN ignored/);
  });
});
