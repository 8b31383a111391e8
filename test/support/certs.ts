import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Certificates made with the openssl CLI for the registry's TLS and the token server's signing key. */

export interface KeyPair {
  certPath: string;
  keyPath: string;
  cert: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A self-signed CA (also usable as a self-signed leaf, e.g. the token signing certificate). */
export function makeCa(dir: string, name: string): KeyPair {
  mkdirSync(dir, { recursive: true });
  const certPath = join(dir, `${name}.pem`);
  const keyPath = join(dir, `${name}.key`);
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
    ],
    dir,
  );
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8') };
}

export interface LeafOptions {
  names?: string[];
  ips?: string[];
  /** openssl ca dates, `YYYYMMDDHHMMSSZ`; default: valid from yesterday for 30 days. */
  startDate?: string;
  endDate?: string;
}

function stamp(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

/** A server certificate signed by `ca`, with real validity dates (openssl ca lets them lie in the past). */
export function issueCert(dir: string, ca: KeyPair, name: string, options: LeafOptions = {}): KeyPair {
  const work = join(dir, `${name}-ca`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'index.txt'), '');
  writeFileSync(join(work, 'serial'), `${Date.now().toString(16).padStart(16, '0')}\n`);
  const names = options.names ?? ['localhost'];
  const ips = options.ips ?? ['127.0.0.1'];
  const san = [...names.map((n) => `DNS:${n}`), ...ips.map((ip) => `IP:${ip}`)].join(',');
  const config = [
    '[ ca ]',
    'default_ca = local',
    '[ local ]',
    `database = ${join(work, 'index.txt')}`,
    `new_certs_dir = ${work}`,
    `serial = ${join(work, 'serial')}`,
    'default_md = sha256',
    'policy = any',
    'unique_subject = no',
    'copy_extensions = none',
    '[ any ]',
    'commonName = supplied',
    '[ ext ]',
    `subjectAltName = ${san}`,
    'basicConstraints = CA:FALSE',
    'extendedKeyUsage = serverAuth',
    '',
  ].join('\n');
  const configPath = join(work, 'ca.cnf');
  writeFileSync(configPath, config);
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(work, `${name}.csr`);
  const certPath = join(dir, `${name}.pem`);
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      csrPath,
      '-subj',
      `/CN=${names[0] ?? name}`,
    ],
    dir,
  );
  const now = Date.now();
  openssl(
    [
      'ca',
      '-batch',
      '-config',
      configPath,
      '-cert',
      ca.certPath,
      '-keyfile',
      ca.keyPath,
      '-in',
      csrPath,
      '-out',
      certPath,
      '-startdate',
      options.startDate ?? stamp(new Date(now - 86_400_000)),
      '-enddate',
      options.endDate ?? stamp(new Date(now + 30 * 86_400_000)),
      '-extensions',
      'ext',
      '-notext',
    ],
    dir,
  );
  return { certPath, keyPath, cert: readFileSync(certPath, 'utf8') };
}
