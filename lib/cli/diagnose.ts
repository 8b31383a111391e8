import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type Diagnosis, diagnose } from '../diagnose/index.ts';
import { errorMessage } from '../errors.ts';
import { type ImageReference, parseImageReference } from '../image/index.ts';
import type { CredentialBackends } from '../registry/credentials.ts';
import {
  apiHostOf,
  ecrHost,
  formatPlatform,
  type Platform,
  type ProbeResult,
  type ProbeStep,
  parseAllowEntry,
  parsePlatform,
  RegistryProber,
} from '../registry/index.ts';
import type { CliIo, Command } from './commands.ts';

const USAGE = `usage: pullwatch diagnose IMAGE [options]

Checks IMAGE against its registry, step by step (DNS, TCP, TLS or plain HTTP, /v2/, auth challenge,
token, manifest, tags, platform, rate limit), then prints the verdict and the fix.

options:
  --platform OS/ARCH[/VARIANT]  the node's platform, checked against multi-platform indexes (e.g. linux/arm64)
  --namespace NS                namespace to use in the suggested kubectl commands
  --allow-host HOST[:PORT]      let the probe reach this private/loopback host, IP or CIDR (repeatable);
                                by default only public addresses are probed
  --insecure-ca FILE            also trust this CA certificate (PEM) for the registry's TLS
  --username USER               registry user name; the password is read from stdin (--password-stdin)
  --password-stdin              read the registry password or token from standard input
  --timeout MS                  whole-probe deadline (default 5000)
  --json                        print one JSON object instead of the step-by-step view
  -h, --help                    this text

exit status: 0 the image is pullable from here, 1 a problem was found, 2 usage error
`;

class UsageError extends Error {
  override readonly name: string = 'UsageError';
}

interface Options {
  image: ImageReference;
  platform: Platform | null;
  namespace: string | null;
  allowHosts: string[];
  extraCa: string[];
  username: string | null;
  passwordStdin: boolean;
  deadlineMs: number | undefined;
  json: boolean;
}

function parse(args: string[]): Options | 'help' {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof SPEC; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args, options: SPEC, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0 ? 'missing IMAGE' : `expected one IMAGE, got ${positionals.length}`,
    );
  }
  let image: ImageReference;
  try {
    image = parseImageReference(positionals[0] ?? '');
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
  const platform = values.platform === undefined ? null : parsePlatform(values.platform);
  if (values.platform !== undefined && !platform) {
    throw new UsageError(
      `--platform ${JSON.stringify(values.platform)}: expected OS/ARCH[/VARIANT], e.g. linux/amd64`,
    );
  }
  const allowHosts = values['allow-host'] ?? [];
  for (const entry of allowHosts) {
    try {
      parseAllowEntry(entry);
    } catch (error) {
      throw new UsageError(`--allow-host: ${errorMessage(error)}`);
    }
  }
  const extraCa: string[] = [];
  if (values['insecure-ca'] !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(values['insecure-ca'], 'utf8');
    } catch (error) {
      throw new UsageError(`--insecure-ca: cannot read ${values['insecure-ca']}: ${errorMessage(error)}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new UsageError(`--insecure-ca: ${values['insecure-ca']} holds no PEM certificate`);
    }
    extraCa.push(pem);
  }
  if (values['password-stdin'] && !values.username) throw new UsageError('--password-stdin needs --username');
  if (values.username && !values['password-stdin']) throw new UsageError('--username needs --password-stdin');
  let deadlineMs: number | undefined;
  if (values.timeout !== undefined) {
    deadlineMs = Number(values.timeout);
    if (!Number.isInteger(deadlineMs) || deadlineMs < 100 || deadlineMs > 120_000) {
      throw new UsageError('--timeout: expected milliseconds between 100 and 120000');
    }
  }
  if (values.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(values.namespace)) {
    throw new UsageError(
      `--namespace ${JSON.stringify(values.namespace)} is not a Kubernetes namespace name`,
    );
  }
  return {
    image,
    platform,
    namespace: values.namespace ?? null,
    allowHosts,
    extraCa,
    username: values.username ?? null,
    passwordStdin: values['password-stdin'] ?? false,
    deadlineMs,
    json: values.json ?? false,
  };
}

const SPEC = {
  platform: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'allow-host': { type: 'string', multiple: true },
  'insecure-ca': { type: 'string' },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** AWS access only when the image lives on ECR: the SDK is not loaded for anything else. */
async function backendsFor(registry: string): Promise<CredentialBackends> {
  if (!ecrHost(registry)) return {};
  const { ecrAuthorizationProvider } = await import('../adapters/ecr.ts');
  return { ecrAuthorization: ecrAuthorizationProvider() };
}

interface Painter {
  ok(text: string): string;
  bad(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

function painter(color: boolean): Painter {
  const wrap = (code: string) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  return { ok: wrap('32'), bad: wrap('31'), dim: wrap('2'), bold: wrap('1') };
}

function stepLine(step: ProbeStep, paint: Painter): string {
  const mark = step.ok ? paint.ok('✓') : paint.bad('✗');
  const timing = step.durationMs !== undefined ? paint.dim(` (${step.durationMs} ms)`) : '';
  return `  ${mark} ${step.step.padEnd(11)} ${step.summary}${timing}\n`;
}

function verdictText(d: Diagnosis, probe: ProbeResult, paint: Painter): string {
  const lines: string[] = ['\n'];
  const headline = d.pullable ? paint.ok('✓ pullable') : paint.bad(`✗ ${d.cause}`);
  lines.push(`${paint.bold(headline)}  ${d.summary}\n`);
  if (d.suggestions.length > 0) lines.push(`\nclosest existing tags: ${d.suggestions.join(', ')}\n`);
  if (d.remediation.length > 0) {
    lines.push('\nwhat to do:\n');
    d.remediation.forEach((step, index) => {
      lines.push(`  ${index + 1}. ${step.title}\n`);
      if (step.command) lines.push(`     ${paint.dim('$')} ${step.command}\n`);
    });
  }
  lines.push(paint.dim(`\nchecked from ${d.checkedFrom} in ${probe.durationMs} ms\n`));
  return lines.join('');
}

function jsonOutput(d: Diagnosis, probe: ProbeResult) {
  return {
    image: d.image,
    registry: d.registry,
    cause: d.cause,
    category: d.category,
    confidence: d.confidence,
    pullable: d.pullable,
    summary: d.summary,
    suggestions: d.suggestions,
    remediation: d.remediation,
    evidence: d.evidence,
    checkedFrom: d.checkedFrom,
    agreesWithNode: d.agreesWithNode,
    probe: {
      apiHost: probe.apiHost,
      scheme: probe.scheme,
      address: probe.address,
      blocked: probe.blocked,
      auth: probe.auth,
      manifest: probe.manifest,
      platform: probe.platform,
      tags: probe.tags,
      rateLimit: probe.rateLimit,
      retryAfterSeconds: probe.retryAfterSeconds,
      checkedAt: probe.checkedAt,
      durationMs: probe.durationMs,
    },
  };
}

async function run(args: string[], io: CliIo): Promise<number> {
  let options: Options | 'help';
  try {
    options = parse(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`pullwatch diagnose: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    io.stdout.write(USAGE);
    return 0;
  }
  const { image } = options;
  let password: string | null = null;
  if (options.passwordStdin) {
    password = await readAll(io.stdin);
    if (password === '') {
      io.stderr.write('pullwatch diagnose: --password-stdin: standard input was empty\n');
      return 2;
    }
  }
  const out = io.stdout as Writable & { isTTY?: boolean };
  const paint = painter(Boolean(out.isTTY) && !process.env.NO_COLOR);
  const prober = new RegistryProber({
    config: {
      allowHosts: options.allowHosts,
      ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}),
    },
    extraCa: options.extraCa,
    backends: await backendsFor(image.registry),
    ...(options.username && password
      ? { credentials: { [image.registry]: { username: options.username, password } } }
      : {}),
  });
  if (!options.json) {
    const platform = options.platform ? ` for ${formatPlatform(options.platform)}` : '';
    out.write(
      `${paint.bold(`Checking ${image.canonical}`)}${paint.dim(` (${apiHostOf(image.registry)})`)}${platform}\n`,
    );
  }
  const probe = await prober.probe(image, {
    platform: options.platform,
    ...(options.json ? {} : { onStep: (step: ProbeStep) => out.write(stepLine(step, paint)) }),
  });
  const result = diagnose({
    probe,
    namespace: options.namespace,
    checkedFrom: `pullwatch CLI on ${hostname()}`,
    image: {
      registry: image.registry,
      repository: image.repository,
      tag: image.tag,
      digest: image.digest,
      full: image.canonical,
    },
  });
  out.write(
    options.json
      ? `${JSON.stringify(jsonOutput(result, probe), null, 2)}\n`
      : verdictText(result, probe, paint),
  );
  return result.pullable ? 0 : 1;
}

export const diagnoseCommand: Command = { run };
