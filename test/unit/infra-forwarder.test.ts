import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { FORWARDER_NODE_FLAGS, FORWARDER_RUNTIME_ENV, UNDICI_SLIM } from '../../infra/forwarder/build.ts';
import { FORWARDER_ENV, loadForwarderConfig } from '../../lib/forwarder/config.ts';

/**
 * Parses the forwarder's kustomize tree (base, components, overlays) with the `yaml` package, renders it the
 * way `kubectl kustomize` would for the features it uses (resources, components, strategic-merge patches,
 * configMapGenerator, images), and fails on RBAC wildcards or write verbs and on any missing hardening.
 */
const ROOT = fileURLToPath(new URL('../../infra/forwarder/', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML, read field by field
type Doc = Record<string, any>;

function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strategic merge as kustomize applies it to these manifests: maps merge, lists of named items merge by name. */
function merge(target: unknown, patch: unknown): unknown {
  if (isObject(target) && isObject(patch)) {
    const out: Doc = { ...target };
    for (const [key, value] of Object.entries(patch)) out[key] = key in out ? merge(out[key], value) : value;
    return out;
  }
  if (
    Array.isArray(target) &&
    Array.isArray(patch) &&
    [...target, ...patch].every((item) => isObject(item) && 'name' in item)
  ) {
    const out = target.map((item) => ({ ...item }));
    for (const item of patch) {
      const index = out.findIndex((existing) => existing.name === item.name);
      if (index >= 0) out[index] = merge(out[index], item) as Doc;
      else out.push(item);
    }
    return out;
  }
  return patch;
}

function readDocs(path: string): Doc[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]!.message}`);
      return doc.toJS() as Doc | null;
    })
    .filter((doc): doc is Doc => doc !== null);
}

function apply(dir: string, docs: Doc[]): Doc[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${dir}: no kustomization.yaml`);
  const k = parse(readFileSync(file, 'utf8')) as Doc;
  for (const resource of (k.resources ?? []) as string[]) {
    const path = join(dir, resource);
    if (!existsSync(path)) throw new Error(`${file}: resource ${resource} does not exist`);
    docs.push(...(statSync(path).isDirectory() ? render(path) : readDocs(path)));
  }
  for (const component of (k.components ?? []) as string[]) {
    const path = join(dir, component);
    const kind = (parse(readFileSync(join(path, 'kustomization.yaml'), 'utf8')) as Doc).kind;
    if (kind !== 'Component') throw new Error(`${component} is not a kustomize Component`);
    apply(path, docs);
  }
  for (const generator of (k.configMapGenerator ?? []) as Doc[]) {
    const data = Object.fromEntries(
      ((generator.literals ?? []) as string[]).map((l) => [
        l.slice(0, l.indexOf('=')),
        l.slice(l.indexOf('=') + 1),
      ]),
    );
    docs.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  for (const patch of (k.patches ?? []) as Doc[]) {
    const path = join(dir, patch.path as string);
    if (!existsSync(path)) throw new Error(`${file}: patch ${patch.path} does not exist`);
    const [body] = readDocs(path);
    const matches = docs.filter(
      (d) => d.kind === patch.target?.kind && d.metadata?.name === patch.target?.name,
    );
    if (matches.length !== 1)
      throw new Error(
        `${file}: patch target ${JSON.stringify(patch.target)} matches ${matches.length} objects`,
      );
    Object.assign(matches[0]!, merge(matches[0], body));
  }
  for (const image of (k.images ?? []) as Doc[]) {
    for (const d of docs) {
      for (const c of d.spec?.template?.spec?.containers ?? []) {
        if (c.image === image.name) c.image = `${image.newName ?? image.name}:${image.newTag}`;
      }
    }
  }
  if (k.namespace) {
    for (const d of docs) {
      if (!['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind))
        d.metadata = { ...d.metadata, namespace: k.namespace };
    }
  }
  return docs;
}

function render(dir: string): Doc[] {
  return apply(dir, []);
}

const READ_VERBS = new Set(['get', 'list', 'watch']);

/** Every problem found; empty when the manifests are least-privilege and hardened. */
function problems(docs: Doc[], allowed: Record<string, string[]>): string[] {
  const out: string[] = [];
  const kinds = (kind: string) => docs.filter((d) => d.kind === kind);
  for (const role of [...kinds('ClusterRole'), ...kinds('Role')]) {
    for (const rule of (role.rules ?? []) as Doc[]) {
      for (const field of ['apiGroups', 'resources', 'verbs', 'resourceNames', 'nonResourceURLs']) {
        if (((rule[field] ?? []) as string[]).some((v) => v.includes('*')))
          out.push(`${role.metadata.name}: wildcard in ${field}`);
      }
      for (const verb of (rule.verbs ?? []) as string[]) {
        if (!READ_VERBS.has(verb)) out.push(`${role.metadata.name}: write verb ${verb}`);
      }
      for (const resource of (rule.resources ?? []) as string[]) {
        const key = `${(rule.apiGroups ?? [''])[0] || 'core'}/${resource}`;
        const verbs = allowed[key];
        if (!verbs) out.push(`${role.metadata.name}: resource ${key} not allowed`);
        else
          for (const verb of rule.verbs ?? [])
            if (!verbs.includes(verb)) out.push(`${role.metadata.name}: ${verb} on ${key} not allowed`);
      }
    }
  }
  const accounts = kinds('ServiceAccount');
  if (accounts.length !== 1) out.push(`expected one ServiceAccount, found ${accounts.length}`);
  const account = accounts[0];
  if (
    !/^arn:aws:iam::\d{12}:role\/.+/.test(
      account?.metadata?.annotations?.['eks.amazonaws.com/role-arn'] ?? '',
    )
  ) {
    out.push('ServiceAccount: missing IRSA annotation eks.amazonaws.com/role-arn');
  }
  for (const binding of kinds('ClusterRoleBinding')) {
    const subject = binding.subjects?.[0];
    if (
      subject?.kind !== 'ServiceAccount' ||
      subject.name !== account?.metadata?.name ||
      subject.namespace !== account?.metadata?.namespace
    ) {
      out.push(`${binding.metadata.name}: does not bind the forwarder's ServiceAccount`);
    }
    if (!kinds('ClusterRole').some((role) => role.metadata.name === binding.roleRef?.name)) {
      out.push(`${binding.metadata.name}: binds a ClusterRole that is not defined here`);
    }
  }
  if (kinds('Namespace').length !== 1) out.push('expected one Namespace');
  const deployments = kinds('Deployment');
  if (deployments.length !== 1) out.push(`expected one Deployment, found ${deployments.length}`);
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const pod = deployment.spec?.template?.spec ?? {};
    if (deployment.spec?.replicas !== 1) out.push(`${name}: replicas must be 1`);
    if (pod.serviceAccountName !== account?.metadata?.name)
      out.push(`${name}: not running as the forwarder's ServiceAccount`);
    if (pod.securityContext?.runAsNonRoot !== true) out.push(`${name}: pod runAsNonRoot missing`);
    if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault')
      out.push(`${name}: seccompProfile RuntimeDefault missing`);
    for (const host of ['hostNetwork', 'hostPID', 'hostIPC'])
      if (pod[host] === true) out.push(`${name}: ${host}`);
    const containers = (pod.containers ?? []) as Doc[];
    if (containers.length === 0) out.push(`${name}: no containers`);
    for (const c of containers) {
      const sc = c.securityContext ?? {};
      if (sc.readOnlyRootFilesystem !== true) out.push(`${c.name}: readOnlyRootFilesystem missing`);
      if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation not false`);
      if (sc.privileged === true) out.push(`${c.name}: privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${c.name}: capabilities not dropped`);
      if (sc.runAsUser === 0) out.push(`${c.name}: runs as root`);
      for (const field of ['requests.cpu', 'requests.memory', 'limits.memory']) {
        const [group, key] = field.split('.') as [string, string];
        if (!c.resources?.[group]?.[key]) out.push(`${c.name}: resources.${field} missing`);
      }
      if (c.livenessProbe?.httpGet?.path !== '/healthz')
        out.push(`${c.name}: liveness probe on /healthz missing`);
      if (c.readinessProbe?.httpGet?.path !== '/readyz')
        out.push(`${c.name}: readiness probe on /readyz missing`);
      if (typeof c.image !== 'string' || !/:[\w.-]+$|@sha256:/.test(c.image) || c.image.endsWith(':latest')) {
        out.push(`${c.name}: image ${c.image} not pinned`);
      }
    }
  }
  return out;
}

const BASE_RBAC = {
  'core/events': ['get', 'list', 'watch'],
  'core/pods': ['get', 'list', 'watch'],
  'core/nodes': ['get', 'list', 'watch'],
};

function envOf(docs: Doc[]): Record<string, string> {
  const deployment = docs.find((d) => d.kind === 'Deployment')!;
  const container = deployment.spec.template.spec.containers[0];
  const fromConfigMaps = docs
    .filter(
      (d) =>
        d.kind === 'ConfigMap' &&
        container.envFrom?.some((e: Doc) => e.configMapRef?.name === d.metadata.name),
    )
    .map((d) => d.data as Record<string, string>);
  return Object.assign(
    {},
    ...fromConfigMaps,
    Object.fromEntries((container.env ?? []).map((e: Doc) => [e.name, e.value])),
  );
}

describe('forwarder manifests (infra/forwarder)', () => {
  const base = render(join(ROOT, 'base'));

  it('base: Namespace, ServiceAccount with IRSA, read-only ClusterRole on events/pods/nodes, hardened Deployment', () => {
    expect(base.map((d) => d.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Namespace', 'ServiceAccount'].sort(),
    );
    expect(problems(base, BASE_RBAC)).toEqual([]);
    const role = base.find((d) => d.kind === 'ClusterRole')!;
    expect(role.rules).toEqual([
      { apiGroups: [''], resources: ['events', 'pods', 'nodes'], verbs: ['get', 'list', 'watch'] },
    ]);
    expect(JSON.stringify(base)).not.toContain('secrets');
  });

  it('pull-secret-inspection overlay: adds `get` on secrets only, and turns the inspection on', () => {
    const docs = render(join(ROOT, 'overlays/pull-secret-inspection'));
    expect(problems(docs, { ...BASE_RBAC, 'core/secrets': ['get'] })).toEqual([]);
    const secretRules = docs
      .filter((d) => d.kind === 'ClusterRole')
      .flatMap((d) => d.rules as Doc[])
      .filter((rule) => rule.resources.includes('secrets'));
    expect(secretRules).toEqual([{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    const env = envOf(docs);
    expect(env.PULLWATCH_INSPECT_PULL_SECRETS).toBe('true');
    // The patch adds to the base's environment instead of replacing it.
    expect(env.PULLWATCH_HTTP_HOST).toBe('0.0.0.0');
  });

  it('workload-owners overlay: read-only access to ReplicaSets and Jobs, and the cache turned on', () => {
    const docs = render(join(ROOT, 'overlays/workload-owners'));
    expect(
      problems(docs, {
        ...BASE_RBAC,
        'apps/replicasets': ['get', 'list', 'watch'],
        'batch/jobs': ['get', 'list', 'watch'],
      }),
    ).toEqual([]);
    expect(envOf(docs).PULLWATCH_WATCH_WORKLOADS).toBe('true');
    expect(JSON.stringify(docs)).not.toContain('secrets');
  });

  it('sets only variables the forwarder reads, with values its settings schema accepts', () => {
    const known = new Set([...FORWARDER_ENV.map((e) => e.env), 'AWS_REGION']);
    for (const overlay of ['base', 'overlays/pull-secret-inspection', 'overlays/workload-owners']) {
      const env = envOf(render(join(ROOT, overlay)));
      for (const name of Object.keys(env))
        expect([overlay, name, known.has(name)]).toEqual([overlay, name, true]);
      const config = loadForwarderConfig(env);
      expect(config.queueUrl).toMatch(/^https:\/\/sqs\./);
      expect(config.httpHost).toBe('0.0.0.0');
      expect(config.checkpointPath).toBe('/var/lib/pullwatch/checkpoint.json');
    }
  });

  it('fails on wildcards, write verbs, secrets outside the overlay and missing hardening', () => {
    const mutate = (change: (docs: Doc[]) => void): string[] => {
      const docs = structuredClone(base);
      change(docs);
      return problems(docs, BASE_RBAC);
    };
    const role = (docs: Doc[]) => docs.find((d) => d.kind === 'ClusterRole')!;
    const container = (docs: Doc[]) =>
      docs.find((d) => d.kind === 'Deployment')!.spec.template.spec.containers[0];
    expect(mutate((d) => role(d).rules[0].verbs.push('*'))).toContain(
      'pullwatch-forwarder: wildcard in verbs',
    );
    expect(mutate((d) => (role(d).rules[0].resources = ['*']))).toContain(
      'pullwatch-forwarder: wildcard in resources',
    );
    expect(mutate((d) => role(d).rules[0].verbs.push('delete'))).toContain(
      'pullwatch-forwarder: write verb delete',
    );
    expect(
      mutate((d) => role(d).rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'] })),
    ).toContain('pullwatch-forwarder: resource core/secrets not allowed');
    expect(mutate((d) => delete container(d).securityContext.readOnlyRootFilesystem)).toContain(
      'forwarder: readOnlyRootFilesystem missing',
    );
    expect(mutate((d) => (container(d).securityContext.allowPrivilegeEscalation = true))).toContain(
      'forwarder: allowPrivilegeEscalation not false',
    );
    expect(mutate((d) => delete container(d).resources.limits)).toContain(
      'forwarder: resources.limits.memory missing',
    );
    expect(mutate((d) => delete container(d).readinessProbe)).toContain(
      'forwarder: readiness probe on /readyz missing',
    );
    expect(mutate((d) => (container(d).image = 'pullwatch:latest'))).toContain(
      'forwarder: image pullwatch:latest not pinned',
    );
    expect(mutate((d) => (d.find((x) => x.kind === 'Deployment')!.spec.replicas = 2))).toContain(
      'pullwatch-forwarder: replicas must be 1',
    );
    expect(mutate((d) => delete d.find((x) => x.kind === 'ServiceAccount')!.metadata.annotations)).toContain(
      'ServiceAccount: missing IRSA annotation eks.amazonaws.com/role-arn',
    );
  });

  it('Dockerfile: multi-stage esbuild bundle into distroless Node 22, non-root', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages.at(-1)).toMatch(/^gcr\.io\/distroless\/nodejs22-debian12(:nonroot|@sha256:)/);
    expect(stages.every((image) => !image.endsWith(':latest'))).toBe(true);
    expect(dockerfile).toMatch(/RUN node infra\/forwarder\/build\.ts \S+/);
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(finalStage).toMatch(/^USER (65532|nonroot)/m);
    expect(finalStage).not.toMatch(/^RUN /m);
    // The image runs the bundle with the flags the benchmark measured.
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(finalStage)![1]!) as string[];
    expect(cmd).toEqual([...FORWARDER_NODE_FLAGS, '/app/forwarder.mjs']);
    // …and the environment it measured (ENV lines of the final stage, `KEY=value` pairs).
    const env: Record<string, string> = {};
    for (const line of finalStage.matchAll(/^ENV (.+)$/gm)) {
      for (const pair of line[1]!.trim().split(/\s+/))
        env[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
    }
    expect(env).toMatchObject(FORWARDER_RUNTIME_ENV);
  });

  it("the bundle's slim undici provides everything @kubernetes/client-node imports from undici", () => {
    const require = createRequire(import.meta.url);
    const dist = join(require.resolve('@kubernetes/client-node/package.json'), '..', 'dist');
    const imported = new Set<string>();
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) {
          for (const m of readFileSync(path, 'utf8').matchAll(/import\s*\{([^}]*)\}\s*from\s*'undici'/g)) {
            for (const name of m[1]!.split(',')) {
              const original = name.trim().split(/\s+as\s+/)[0]!;
              if (original) imported.add(original);
            }
          }
          expect(readFileSync(path, 'utf8')).not.toMatch(/import\s+(\*|\w+)[^{]*from\s*'undici'/);
        }
      }
    };
    walk(dist);
    expect([...imported].sort()).toEqual(['Agent', 'ProxyAgent', 'fetch']);
    const slim = require(UNDICI_SLIM) as Record<string, unknown>;
    for (const name of imported) expect(typeof slim[name], name).toBe('function');
  });
});
