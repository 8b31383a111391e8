import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnoseCommand } from '../../lib/cli/diagnose.ts';
import { LAB_USERS, type RegistryLab, startRegistryLab } from '../support/registry-lab.ts';

/** `pullwatch diagnose` against the real registry: the acceptance command, output forms, exit codes. */

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

let lab: RegistryLab;

beforeAll(async () => {
  lab = await startRegistryLab();
});

afterAll(async () => {
  await lab?.stop();
});

async function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: '', err: '' };
  stdout.on('data', (c: Buffer) => {
    chunks.out += c.toString('utf8');
  });
  stderr.on('data', (c: Buffer) => {
    chunks.err += c.toString('utf8');
  });
  const code = await diagnoseCommand.run(args, { stdin: Readable.from([stdin]), stdout, stderr });
  return { code, stdout: chunks.out, stderr: chunks.err };
}

describe('npx pullwatch diagnose', () => {
  it('the acceptance command: a missing tag on a plain-HTTP loopback registry → tag_not_found suggesting v1', async () => {
    const host = lab.plain.host;
    const { stdout } = await run(
      'npx',
      ['pullwatch', 'diagnose', `${host}/team/api:v9`, '--allow-host', host, '--json'],
      {
        cwd: ROOT,
      },
    ).catch((error: { code: number; stdout: string; stderr: string }) => {
      expect(error.code).toBe(1);
      return error;
    });
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result.cause).toBe('tag_not_found');
    expect(result.suggestions).toContain('v1');
    expect(result).toHaveProperty('summary');
    expect(result).toHaveProperty('evidence');
    expect(result).toHaveProperty('remediation');
    expect(result.pullable).toBe(false);
  });
});

describe('pullwatch diagnose (in process)', () => {
  it('pullable image: exit 0, each step with ✓ and timing, then the verdict', async () => {
    const { code, stdout } = await cli([`${lab.plain.host}/team/api:v1`, '--allow-host', lab.plain.host]);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Checking ${lab.plain.host}/team/api:v1`));
    expect(stdout).toMatch(/✓ ping +GET \/v2\/ → 200.*\(\d+ ms\)/);
    expect(stdout).toMatch(/✓ manifest/);
    expect(stdout).toMatch(/✓ pullable/);
    expect(stdout).not.toMatch(/\u001b\[/);
  });

  it('missing tag, human form: ✗ steps, suggestions, and a set-image command in the given namespace', async () => {
    const { code, stdout } = await cli([
      `${lab.plain.host}/team/api:v1.4.2`,
      '--allow-host',
      lab.plain.host,
      '--namespace',
      'shop',
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ manifest +HEAD \/v2\/team\/api\/manifests\/v1\.4\.2 → 404 MANIFEST_UNKNOWN/);
    expect(stdout).toMatch(/closest existing tags: v1\.4\.1/);
    expect(stdout).toContain('skopeo list-tags docker://');
    expect(stdout).toMatch(/✗ tag_not_found/);
  });

  it('platform missing from an index: exit 1 with platform_mismatch', async () => {
    const { code, stdout } = await cli([
      `${lab.plain.host}/team/multi:v2`,
      '--allow-host',
      lab.plain.host,
      '--platform',
      'linux/ppc64le',
      '--json',
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      cause: 'platform_mismatch',
      probe: { platform: { matched: false } },
    });
  });

  it('without --allow-host a loopback registry is refused before connecting, and the output says how to allow it', async () => {
    const { code, stdout } = await cli([`${lab.plain.host}/team/api:v1`, '--json']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.probe.blocked).toBe(true);
    expect(result.evidence.map((e: { step: string }) => e.step)).toEqual(['dns', 'guard']);
    expect(JSON.stringify(result.remediation)).toContain(`--allow-host ${lab.plain.host}`);
  });

  it('--insecure-ca trusts a private CA', async () => {
    const caFile = join(lab.dir, 'cli-ca.pem');
    writeFileSync(caFile, lab.ca.cert);
    const { code, stdout } = await cli([
      `${lab.tls.host}/team/api:v1`,
      '--allow-host',
      lab.tls.host,
      '--insecure-ca',
      caFile,
      '--json',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ pullable: true, cause: 'none', probe: { scheme: 'https' } });
  });

  it('--username with --password-stdin authenticates and never prints the password', async () => {
    const { code, stdout, stderr } = await cli(
      [
        `${lab.basic.host}/team/api:v1`,
        '--allow-host',
        lab.basic.host,
        '--username',
        'carol',
        '--password-stdin',
      ],
      `${LAB_USERS.carol}\n`,
    );
    expect(code).toBe(0);
    expect(`${stdout}${stderr}`).not.toContain(LAB_USERS.carol);
    const wrong = await cli(
      [
        `${lab.basic.host}/team/api:v1`,
        '--allow-host',
        lab.basic.host,
        '--username',
        'carol',
        '--password-stdin',
        '--json',
      ],
      'Not-The-Password-42\n',
    );
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout).cause).toBe('unauthorized');
    expect(wrong.stdout).not.toContain('Not-The-Password-42');
  });

  it.each([
    [[], /missing IMAGE/],
    [['a', 'b'], /expected one IMAGE/],
    [['UPPER/Case:tag'], /invalid|repository name/i],
    [['nginx', '--platform', 'linux'], /--platform "linux": expected OS\/ARCH/],
    [['nginx', '--allow-host', '10.0.0.0/40'], /--allow-host: allow-list entry/],
    [['nginx', '--insecure-ca', '/nonexistent/ca.pem'], /--insecure-ca: cannot read/],
    [['nginx', '--password-stdin'], /--password-stdin needs --username/],
    [['nginx', '--timeout', 'soon'], /--timeout: expected milliseconds/],
    [['nginx', '--namespace', 'Bad_NS'], /not a Kubernetes namespace name/],
    [['nginx', '--bogus'], /Unknown option '--bogus'/],
  ])('usage error %j → exit 2 with a message and the usage', async (args, message) => {
    const { code, stdout, stderr } = await cli(args as string[]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: pullwatch diagnose IMAGE');
  });

  it('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--allow-host HOST[:PORT]');
  });
});
