import { buildSlackMessage } from '../lib/notify/slack-message.ts';
import { signSlackRequest, verifySlackRequest } from '../lib/notify/slack-signature.ts';
import { buildSnsMessage } from '../lib/notify/sns-message.ts';
import {
  NOW,
  registryIncident,
  tagDiagnosis,
  tlsDiagnosis,
  workloadIncident,
} from '../test/unit/notify-fixtures.ts';
import type { BenchRow } from './table.ts';

/**
 * Rendering and verification costs inside the notify and slack-actions Lambdas: informational (no DESIGN.md
 * target), to show they are negligible beside the registry probe and the Slack round trip.
 */
function perSecond(iterations: number, work: (i: number) => void): number {
  for (let i = 0; i < Math.min(iterations, 200); i += 1) work(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) work(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return iterations / seconds;
}

export async function run(): Promise<BenchRow[]> {
  const incident = workloadIncident();
  const diagnosis = tagDiagnosis();
  const registry = registryIncident(300);
  const tls = tlsDiagnosis();
  const secret = 'bench-signing-secret';
  const body = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', actions: [{ action_id: 'x' }] }))}`;
  const timestamp = Math.floor(NOW / 1000);
  const headers = {
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signSlackRequest(secret, timestamp, body),
  };
  return [
    {
      area: 'notify',
      metric: 'Slack alert render (workload, diagnosed)',
      value: perSecond(5_000, (i) => buildSlackMessage({ ...incident, count: i }, diagnosis, { now: NOW })),
      unit: 'msg/s',
    },
    {
      area: 'notify',
      metric: 'Slack alert render (registry, 300 workloads)',
      value: perSecond(1_000, (i) => buildSlackMessage({ ...registry, count: i }, tls, { now: NOW })),
      unit: 'msg/s',
    },
    {
      area: 'notify',
      metric: 'SNS message build (workload, diagnosed)',
      value: perSecond(2_000, (i) => buildSnsMessage({ ...incident, count: i }, diagnosis, { now: NOW })),
      unit: 'msg/s',
    },
    {
      area: 'notify',
      metric: 'Slack signature verify',
      value: perSecond(20_000, () =>
        verifySlackRequest({ signingSecret: secret, headers, rawBody: body, now: NOW }),
      ),
      unit: 'req/s',
    },
  ];
}
