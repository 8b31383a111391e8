import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The project's Node 22 (the node@22 devDependency), as `npx pullwatch` would use.
const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function pullwatch(args: string[], stdin = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['bin/pullwatch.js', 'classify', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

const NGINX =
  'Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found';

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('pullwatch classify (spawned)', () => {
  it('prints one JSON object per stdin line with the cause and canonical image', async () => {
    const run = await pullwatch(['--json'], `${NGINX}\n`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('"cause":"tag_not_found"');
    expect(run.stdout).toContain('"image":"docker.io/library/nginx:1.99"');
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({
      cause: 'tag_not_found',
      category: 'availability',
      reason: 'ErrImagePull',
      kind: 'pull_failure',
      image: 'docker.io/library/nginx:1.99',
      registry: 'docker.io',
      evidence: 'docker.io/library/nginx:1.99: not found',
    });
    expect(typeof line?.confidence).toBe('number');
  });

  it('reads JSON lines as events (corpus rows with message/reason, events.k8s.io notes) and skips blank lines', async () => {
    const lines = [
      JSON.stringify({ message: 'Error: ErrImagePull', reason: 'Failed', cause: 'none' }),
      '',
      JSON.stringify({
        apiVersion: 'events.k8s.io/v1',
        reason: 'Failed',
        note: 'Failed to pull image "ghcr.io/acme/app:1": failed to resolve reference "ghcr.io/acme/app:1": failed to do request: Head "https://ghcr.io/v2/acme/app/manifests/1": dial tcp: lookup ghcr.io: no such host',
      }),
      JSON.stringify({ reason: 'BackOff', message: 'Back-off restarting failed container' }),
      '{ not json but a message that starts with a brace',
    ];
    const run = await pullwatch(['--json'], `${lines.join('\n')}\n`);
    expect(run.code).toBe(0);
    const out = jsonLines(run.stdout);
    expect(out.map((line) => line.cause)).toEqual(['none', 'dns', 'none', 'none']);
    expect(out.map((line) => line.kind)).toEqual(['pull_backoff', 'pull_failure', 'not_image', 'not_image']);
    expect(out[1]).toMatchObject({ image: 'ghcr.io/acme/app:1', registry: 'ghcr.io' });
  });

  it('classifies messages given as arguments, in a short human line each', async () => {
    const run = await pullwatch([
      NGINX,
      'Back-off pulling image "tutum/curl"',
      'Error response from daemon: Get https://registry-1.docker.io/v2/: x509: certificate signed by unknown authority',
    ]);
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      'tag_not_found (availability)  pull_failure  ErrImagePull  docker.io/library/nginx:1.99  — docker.io/library/nginx:1.99: not found',
    );
    expect(lines[1]).toBe('none (none)  pull_backoff  ImagePullBackOff  docker.io/tutum/curl:latest');
    expect(lines[2]).toMatch(
      /^tls \(registry\) {2}pull_failure {2}ErrImagePull {2}— x509: certificate signed by unknown authority$/,
    );
  });

  it('prints help with exit 0 and rejects unknown options with exit 2', async () => {
    const help = await pullwatch(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: pullwatch classify [--json] [MESSAGE…]');
    const bad = await pullwatch(['--jsn']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toContain('unknown option --jsn');
  });

  it('lists classify in the top-level usage', async () => {
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn(NODE, ['bin/pullwatch.js', '--help'], { cwd: ROOT });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: '', stderr }));
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/classify\s+classify image-pull event messages/);
  });
});
