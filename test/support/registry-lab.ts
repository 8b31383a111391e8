import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCert, type KeyPair, makeCa } from './certs.ts';
import { pushImage, pushIndex } from './images.ts';
import { type RunningRegistry, startRegistry } from './registry.ts';
import { type FaultRule, type RunningServer, startFaultProxy } from './standins.ts';
import { type RunningTokenServer, startTokenServer } from './token-server.ts';

/**
 * Every registry flavour the probe scenarios need, sharing one storage directory: images are pushed once
 * through the plain registry and read through the others.
 *   plain    HTTP, no auth (push target)
 *   token    HTTP, Bearer tokens from the lab's token server
 *   basic    HTTP, htpasswd Basic auth
 *   tls      HTTPS with a certificate from the lab CA (trusted only when the CA is given)
 *   expired  HTTPS with an expired certificate from the lab CA
 *   proxy    a fault-injecting proxy in front of `plain` (its rule is settable per test)
 */
export interface RegistryLab {
  dir: string;
  ca: KeyPair;
  /** The server certificate of `tls` (for stand-ins that need one too). */
  leaf: KeyPair;
  plain: RunningRegistry;
  token: RunningRegistry;
  basic: RunningRegistry;
  tls: RunningRegistry;
  expired: RunningRegistry;
  tokens: RunningTokenServer;
  proxy: RunningServer;
  setFault(rule: FaultRule | null): void;
  /** Every lab host[:port], for the probe's allow-list. */
  allowHosts: string[];
  stop(): Promise<void>;
}

export const LAB_USERS = {
  /** May pull everything. */
  alice: 'alice-Secret-pass-7731',
  /** May pull team/api only: pulling team/secret is forbidden. */
  bob: 'bob-Secret-pass-2290',
  /** htpasswd user of the Basic registry. */
  carol: 'carol-Secret-pass-4410',
};

export const LAB_SERVICE = 'pullwatch-lab';

export async function startRegistryLab(): Promise<RegistryLab> {
  const dir = mkdtempSync(join(tmpdir(), 'pullwatch-lab-'));
  const signer = makeCa(dir, 'token-signer');
  const ca = makeCa(dir, 'lab-ca');
  const leaf = issueCert(dir, ca, 'registry');
  const old = issueCert(dir, ca, 'expired', { startDate: '20200101000000Z', endDate: '20200201000000Z' });

  const plain = await startRegistry();
  const target = { url: plain.url };
  await pushImage(target, 'team/api', 'v1');
  await pushImage(target, 'team/api', 'v1.4.1');
  await pushImage(target, 'team/api', 'v1.5.0', { format: 'oci' });
  await pushImage(target, 'team/secret', 'v1');
  await pushIndex(target, 'team/multi', 'v2', [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64' },
  ]);
  await pushIndex(target, 'team/multi', 'v2-docker', [{ os: 'linux', architecture: 'amd64' }], 'docker');
  for (const tag of ['a1', 'a2', 'a3', 'b1', 'b2']) await pushImage(target, 'team/paged', tag);

  const tokens = await startTokenServer({
    service: LAB_SERVICE,
    issuer: 'pullwatch-lab-issuer',
    signer,
    anonymous: { 'team/api': ['pull'], 'team/multi': ['pull'] },
    users: {
      alice: { password: LAB_USERS.alice, access: { '*': ['pull'] } },
      bob: { password: LAB_USERS.bob, access: { 'team/api': ['pull'] } },
    },
  });
  const token = await startRegistry({
    storage: plain.storage,
    token: {
      realm: tokens.realm,
      service: LAB_SERVICE,
      issuer: 'pullwatch-lab-issuer',
      rootCertPath: signer.certPath,
    },
  });
  const basic = await startRegistry({ storage: plain.storage, htpasswd: { carol: LAB_USERS.carol } });
  const tls = await startRegistry({ storage: plain.storage, tls: leaf });
  const expired = await startRegistry({ storage: plain.storage, tls: old });
  let fault: FaultRule | null = null;
  const proxy = await startFaultProxy(plain.url, (request, upstream) =>
    fault ? fault(request, upstream) : null,
  );

  const servers = [plain, token, basic, tls, expired];
  return {
    dir,
    ca,
    leaf,
    plain,
    token,
    basic,
    tls,
    expired,
    tokens,
    proxy,
    setFault: (rule) => {
      fault = rule;
    },
    allowHosts: [...servers.map((s) => s.host), `127.0.0.1:${tokens.port}`, proxy.host],
    stop: async () => {
      await Promise.all([...servers.map((s) => s.stop()), tokens.stop(), proxy.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
