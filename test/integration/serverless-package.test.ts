import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullwatchConfigSchema } from '../../lib/config/pullwatch-config.ts';

const run = promisify(execFile);

/**
 * `npm run package` offline (osls + serverless-esbuild, dummy credentials, a throwaway HOME), then the
 * generated CloudFormation is read as data: the deploy-time guarantees of DESIGN.md §7 and issue 7 are
 * checked on what would really be deployed, not on serverless.yml's source.
 */
type Resource = { Type: string; Properties: Record<string, unknown> };
let dir: string;
let resources: Record<string, Resource>;
let zips: string[];

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const functions = () => ofType('AWS::Lambda::Function');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pullwatch-package-'));
  const home = join(dir, 'home');
  const out = join(dir, 'out');
  await run('sh', ['scripts/package.sh', '--package', out], {
    env: {
      PATH: process.env.PATH,
      HOME: home,
      STAGE: 'ci',
      REGION: 'eu-west-1',
    },
    timeout: 240_000,
  });
  const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
  resources = template.Resources;
  const { stdout } = await run('sh', ['-c', `ls ${out}/*.zip`]);
  zips = stdout.trim().split('\n');
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function statements(role: Resource): Array<{ Effect: string; Action: string | string[]; Resource: unknown }> {
  const policies = (role.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: unknown[] } }>;
  return policies.flatMap((p) => p.PolicyDocument.Statement) as Array<{
    Effect: string;
    Action: string | string[];
    Resource: unknown;
  }>;
}

describe('the packaged stack', () => {
  it('has the four functions on nodejs22.x arm64, each bundled as ESM', async () => {
    const names = functions().map(([id]) => id);
    expect(names.sort()).toEqual(
      [
        'IngestLambdaFunction',
        'NotifyLambdaFunction',
        'SlackDashactionsLambdaFunction',
        'SweepLambdaFunction',
      ].sort(),
    );
    for (const [, fn] of functions()) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
    for (const zip of zips) {
      const { stdout } = await run('unzip', ['-l', zip]);
      expect(stdout).toMatch(/functions\/[a-z-]+\.mjs/);
      expect(stdout).not.toMatch(/\.ts\b/);
    }
  });

  it('ships cold-start-lean bundles: zod/mini only, built-ins through require(), the AWS SDK left out', async () => {
    for (const zip of zips) {
      const { stdout: list } = await run('unzip', ['-Z1', zip]);
      const bundle = list.split('\n').find((name) => /^functions\/[a-z-]+\.mjs$/.test(name))!;
      const { stdout: code } = await run('unzip', ['-p', zip, bundle], { maxBuffer: 16 * 1024 * 1024 });
      // Classic zod registers its schema classes by name (ZodString); zod/mini's are ZodMini….
      expect(code).toMatch(/"ZodMiniString"/);
      expect(code).not.toMatch(/"ZodString"/);
      // The only static ESM imports: the banner's node:module and the runtime's AWS SDK. A built-in imported
      // as ESM would make Node evaluate every lazy export of it at cold start (esbuild.config.cjs).
      const imported = [...code.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((match) => match[1]!);
      expect(imported.filter((name) => !name.startsWith('@aws-sdk/'))).toEqual(['node:module']);
    }
  });

  it('gives every function its own role', () => {
    const roles = functions().map(([, fn]) => JSON.stringify(fn.Properties.Role));
    expect(new Set(roles).size).toBe(roles.length);
    for (const role of roles) {
      expect(role).not.toMatch(/IamRoleLambdaExecution/);
      expect(role).toMatch(/GetAtt/);
    }
  });

  it('grants no wildcard action, and a wildcard resource only where AWS allows nothing else', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      for (const statement of statements(role)) {
        const actions = [statement.Action].flat();
        for (const action of actions) {
          expect(action, `${id}: ${action}`).not.toMatch(/\*/);
        }
        if (statement.Resource === '*') {
          // Actions without resource-level permissions (AWS documents these as requiring "*").
          expect(actions, `${id}: "*" resource`).toEqual(['ecr:GetAuthorizationToken']);
        }
      }
    }
  });

  it('gives every queue a dead-letter queue and a visibility timeout ≥ 6 × its consumer timeout', () => {
    const queues = ofType('AWS::SQS::Queue');
    const dlqIds = new Set(
      queues.flatMap(([, q]) => {
        const redrive = q.Properties.RedrivePolicy as { deadLetterTargetArn?: { 'Fn::GetAtt'?: string[] } };
        return redrive?.deadLetterTargetArn?.['Fn::GetAtt']?.[0] ?? [];
      }),
    );
    expect(dlqIds.size).toBeGreaterThanOrEqual(2);
    for (const [id, queue] of queues) {
      if (dlqIds.has(id)) continue;
      const redrive = queue.Properties.RedrivePolicy as { maxReceiveCount?: number } | undefined;
      expect(redrive, `${id} has no dead-letter queue`).toBeDefined();
      expect(redrive?.maxReceiveCount).toBeGreaterThanOrEqual(2);
    }

    for (const [, mapping] of ofType('AWS::Lambda::EventSourceMapping')) {
      const queueId = (mapping.Properties.EventSourceArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
      const fnId = (mapping.Properties.FunctionName as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]!;
      const visibility = resources[queueId]?.Properties.VisibilityTimeout as number;
      const timeout = resources[fnId]?.Properties.Timeout as number;
      expect(visibility, `${queueId} for ${fnId}`).toBeGreaterThanOrEqual(6 * timeout);
      expect(mapping.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(dlqIds.has(queueId)).toBe(false);
    }
  });

  it('keeps incidents in an on-demand table with TTL and point-in-time recovery', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const table = tables[0]![1].Properties;
    expect(table.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('alarms on every dead-letter queue and every function’s errors', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => JSON.stringify(a.Properties.Dimensions));
    for (const [id] of ofType('AWS::SQS::Queue').filter(([id]) => /DeadLetter/.test(id))) {
      expect(
        alarms.some((d) => d.includes(id)),
        `${id} alarm`,
      ).toBe(true);
    }
    for (const [id] of functions()) {
      expect(
        alarms.some((d) => d.includes(id)),
        `${id} alarm`,
      ).toBe(true);
    }
  });

  it('keeps Slack secrets out of the environment and embeds valid settings', () => {
    for (const [id, fn] of functions()) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables.SLACK_BOT_TOKEN, id).toBeUndefined();
      expect(variables.SLACK_SIGNING_SECRET, id).toBeUndefined();
      const settings = JSON.parse(String(variables.PULLWATCH_CONFIG));
      expect(() => pullwatchConfigSchema.parse(settings)).not.toThrow();
      // Lambda caps a function's whole environment at 4 KB.
      expect(Buffer.byteLength(JSON.stringify(variables))).toBeLessThan(4096);
    }
  });

  it('routes Slack clicks through an HTTP API to slack-actions', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties.RouteKey);
    expect(routes).toContain('POST /slack/actions');
  });
});
