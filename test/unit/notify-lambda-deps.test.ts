import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config/load.ts';
import { pullwatchConfigSchema } from '../../lib/config/pullwatch-config.ts';
import { routesToSlack, withDefaultTopic } from '../../lib/pipeline/lambda-deps.ts';
import { perSecret, slackSecrets } from '../../lib/pipeline/slack-deps.ts';

const slack = (input: object = {}) => pullwatchConfigSchema.parse({ slack: input }).slack;

describe('Slack secrets for the Lambdas', () => {
  it('uses the environment variables the config names when they are set, with no SSM middleware work', () => {
    const secrets = slackSecrets(slack({ botTokenParameter: '/p/token' }), {
      need: ['botToken', 'signingSecret'],
      cacheKey: 'test-env',
      env: { SLACK_BOT_TOKEN: 'xoxb-env', SLACK_SIGNING_SECRET: 'sign-env' },
    });
    expect(secrets.middleware.name).toBe('pullwatch-secrets-from-env');
    expect(secrets.read({} as Context)).toEqual({ botToken: 'xoxb-env', signingSecret: 'sign-env' });
  });

  it('reads what the environment lacks from the context the SSM middleware fills', () => {
    const secrets = slackSecrets(slack({ signingSecretParameter: '/p/signing' }), {
      need: ['botToken', 'signingSecret'],
      cacheKey: 'test-ssm',
      env: { SLACK_BOT_TOKEN: 'xoxb-env' },
    });
    expect(typeof secrets.middleware.before).toBe('function');
    const context = { pullwatchSlackSigningSecret: 'sign-ssm' } as unknown as Context;
    expect(secrets.read(context)).toEqual({ botToken: 'xoxb-env', signingSecret: 'sign-ssm' });
    expect(secrets.read({} as Context).signingSecret).toBeNull();
  });

  it('fails at cold start when a needed secret has no source, naming both ways to give it', () => {
    const attempt = () => slackSecrets(slack(), { need: ['signingSecret'], cacheKey: 'x', env: {} });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SLACK_SIGNING_SECRET.*slack\.signingSecretParameter/);
    // A secret nobody needs (notify with SNS-only routing) is not asked for.
    expect(() => slackSecrets(slack(), { need: [], cacheKey: 'x', env: {} })).not.toThrow();
  });

  it('knows whether routing sends anything to Slack, adds the deployment’s topic to an SNS-less default, and rebuilds a client only when the token changes', () => {
    const routing = pullwatchConfigSchema.parse({}).routing;
    expect(routesToSlack(routing)).toBe(false);
    expect(routesToSlack({ ...routing, default: { slack: ['C0ALERTS01'], sns: [] } })).toBe(true);
    const topic = 'arn:aws:sns:eu-west-1:123456789012:pullwatch-alerts';
    expect(withDefaultTopic(routing, topic).default.sns).toEqual([topic]);
    expect(withDefaultTopic(routing, undefined)).toBe(routing);
    const own = { ...routing, default: { slack: [], sns: ['arn:aws:sns:eu-west-1:123456789012:mine'] } };
    expect(withDefaultTopic(own, topic)).toBe(own);
    let built = 0;
    const forToken = perSecret((token) => ({ token, n: ++built }));
    expect(forToken('a')).toBe(forToken('a'));
    expect(forToken('b').n).toBe(2);
  });
});
