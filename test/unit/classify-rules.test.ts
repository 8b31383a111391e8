import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CAUSES, classify, isCause, RULES } from '../../lib/classify/index.ts';

/** Real wordings for rules the fixtures do not reach (registry documentation and issue texts). */
const EXTRA_EXAMPLES: Record<string, string> = {
  'auth.network-rule':
    "denied: client with IP '203.0.113.9' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.",
  'auth.registry-policy':
    'unknown: current image with "3 vulnerabilities" cannot be pulled due to configured policy in \'Prevent images with vulnerability severity of "Critical" or higher from running.\'',
  'auth.oauth-token-400':
    'failed to authorize: failed to fetch oauth token: unexpected status from POST request to https://gitlab.example.com/jwt/auth: 400 Bad Request',
  'registry.bare-denied':
    'Error response from daemon: Head "https://ghcr.io/v2/acme/app/manifests/1": denied',
  'registry.blob-missing': 'reading blob sha256:0123: blob unknown: blob unknown to registry',
  // podman-container-tools/podman#24790: the resolver failed before a host name was even printed.
  'net.dns': 'Get "https://quay.io/v2/": dial tcp: lookup: Temporary failure in name resolution',
  'auth.http-401':
    'Error response from daemon: Head "https://registry.example.com/v2/app/manifests/1": error parsing HTTP 401 response body: invalid character \'<\' looking for beginning of value: "<html>"',
  'node.runtime-unreachable':
    'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial unix /run/containerd/containerd.sock: connect: connection refused"',
  'net.deadline': 'rpc error: code = DeadlineExceeded desc = context deadline exceeded',
  'registry.unavailable': 'image pull failed for acme/app:1 because the registry is unavailable',
  'runtime.short-name':
    'short-name "app" did not resolve to an alias and no unqualified-search registries are defined in "/etc/containers/registries.conf"',
};

function fixtureMessages(): string[] {
  const files = [
    'pull-failures.jsonl',
    'classify-extra.jsonl',
    'classify-heldout.jsonl',
    'classify-heldout2.jsonl',
    'classify-heldout3.jsonl',
    'classify-heldout4.jsonl',
    'classify-heldout5.jsonl',
    'classify-heldout6.jsonl',
    'classify-heldout7.jsonl',
  ];
  return files.flatMap((name) =>
    readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => (JSON.parse(line) as { message: string }).message),
  );
}

describe('the rule table', () => {
  it('has unique ids, known causes, confidences in 0–1 and lower-case needles', () => {
    const ids = RULES.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of RULES) {
      expect(isCause(rule.cause), rule.id).toBe(true);
      expect(rule.confidence).toBeGreaterThan(0);
      expect(rule.confidence).toBeLessThanOrEqual(1);
      expect(rule.any.length, rule.id).toBeGreaterThan(0);
      for (const needle of [...rule.any, ...(rule.back ?? [])]) {
        expect(needle, rule.id).toBe(needle.toLowerCase());
        expect(needle.length, rule.id).toBeGreaterThan(1);
      }
      // Patterns run on one message at a time and must not carry state between calls.
      if (rule.pattern) expect(rule.pattern.global || rule.pattern.sticky, rule.id).toBe(false);
    }
  });

  it('has a rule for every cause', () => {
    const covered = new Set(RULES.map((rule) => rule.cause));
    for (const cause of CAUSES) expect(covered.has(cause), cause).toBe(true);
  });

  it('has every rule fire on at least one real wording', () => {
    const fired = new Set<string>();
    for (const message of fixtureMessages()) fired.add(classify({ reason: 'ErrImagePull', message }).rule);
    for (const [id, message] of Object.entries(EXTRA_EXAMPLES)) {
      expect(classify({ reason: 'ErrImagePull', message }).rule, id).toBe(id);
      fired.add(id);
    }
    const silent = RULES.map((rule) => rule.id).filter((id) => !fired.has(id));
    expect(silent).toEqual([]);
  });
});
