import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/**
 * Debian's docker-registry (CNCF distribution 2.8) on 127.0.0.1 with a port the kernel picks, with its own
 * config (never the packaged one, which listens on all interfaces). Several registries may share one
 * storage directory: push through a plain one, probe through a TLS or authenticated one.
 */

export interface RegistryOptions {
  /** Storage root; default a fresh temp dir (removed on stop). */
  storage?: string;
  /** htpasswd users (bcrypt via `htpasswd -Bbn`): Basic auth. */
  htpasswd?: Record<string, string>;
  /** Token (Bearer) auth against a token server. */
  token?: { realm: string; service: string; issuer: string; rootCertPath: string };
  tls?: { certPath: string; keyPath: string };
}

export interface RunningRegistry {
  port: number;
  /** `127.0.0.1:PORT`: the registry part of an image reference. */
  host: string;
  url: string;
  storage: string;
  stop(): Promise<void>;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'pullwatch-registry-'));
  const storage = options.storage ?? join(dir, 'data');
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'info', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: storage }, delete: { enabled: true } },
    http: {
      addr: '127.0.0.1:0',
      secret: 'pullwatch-test-secret',
      ...(options.tls ? { tls: { certificate: options.tls.certPath, key: options.tls.keyPath } } : {}),
    },
  };
  if (options.htpasswd) {
    const lines = Object.entries(options.htpasswd).map(([user, password]) =>
      execFileSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' }).trim(),
    );
    const path = join(dir, 'htpasswd');
    writeFileSync(path, `${lines.join('\n')}\n`);
    config.auth = { htpasswd: { realm: 'pullwatch-test', path } };
  } else if (options.token) {
    config.auth = {
      token: {
        realm: options.token.realm,
        service: options.token.service,
        issuer: options.token.issuer,
        rootcertbundle: options.token.rootCertPath,
      },
    };
  }
  const configPath = join(dir, 'config.yml');
  writeFileSync(configPath, stringify(config));
  const child = spawn('docker-registry', ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await waitForListening(child);
  const scheme = options.tls ? 'https' : 'http';
  return {
    port,
    host: `127.0.0.1:${port}`,
    url: `${scheme}://127.0.0.1:${port}`,
    storage,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function waitForListening(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`docker-registry did not start within 15 s:\n${output.slice(-2000)}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        // Keep draining the pipes so a chatty registry never blocks on a full buffer.
        child.stdout?.removeListener('data', onData);
        child.stderr?.removeListener('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docker-registry exited with ${code}:\n${output.slice(-2000)}`));
    });
  });
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
