import type { Cause } from '../classify/causes.ts';
import { credentialHostKey, ecrHost } from '../registry/credentials.ts';
import { formatPlatform } from '../registry/platform.ts';
import type { ProbeResult } from '../registry/types.ts';
import type { NamesInScope } from './context.ts';
import type { RemediationStep } from './types.ts';
import { vendorAccessSteps } from './vendor-remediation.ts';

/**
 * Concrete fixes per cause, written with the real names: namespace, service account, pull secret,
 * workload and container, closest tag, node. Pure: everything it knows comes in as arguments.
 */

export interface ImageParts {
  /** Registry host as the image names it (`docker.io`, `registry.example.com:5000`). */
  registry: string;
  repository: string;
  tag: string | null;
  digest: string | null;
  /** The full reference as the pod should name it. */
  full: string;
}

export interface RemediationInput {
  cause: Cause;
  image: ImageParts | null;
  names: NamesInScope;
  probe: ProbeResult | null;
  /** The registry answers fine from where the check ran although the node failed. */
  disagreement: boolean;
  checkedFrom: string;
  /** What the node's own error said (kubelet's evidence), for when the check did not get as far as the node. */
  nodeEvidence?: string | null;
}

const PLACEHOLDER_NS = '<namespace>';

function ns(names: NamesInScope): string {
  return `-n ${names.namespace ?? PLACEHOLDER_NS}`;
}

function withImage(parts: ImageParts, ref: { tag?: string; digest?: string }): string {
  const base = `${parts.registry}/${parts.repository}`;
  if (ref.digest) return `${base}@${ref.digest}`;
  return `${base}:${ref.tag ?? parts.tag ?? 'latest'}`;
}

function setImage(names: NamesInScope, image: string): string {
  return `kubectl ${ns(names)} set image ${names.workload ?? 'deployment/<name>'} ${names.container ?? '<container>'}=${image}`;
}

function patchTemplate(names: NamesInScope, spec: object): string | undefined {
  if (!names.workloadKind || !names.workloadName) return undefined;
  const body = names.workloadKind === 'pod' ? { spec } : { spec: { template: { spec } } };
  return `kubectl ${ns(names)} patch ${names.workloadKind} ${names.workloadName} -p '${JSON.stringify(body)}'`;
}

/** Docker Hub's credentials live under its legacy index URL in a docker-registry secret. */
function dockerServer(registry: string): string {
  return credentialHostKey(registry) === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
}

function createSecret(names: NamesInScope, secret: string, registry: string): string {
  const ecr = ecrHost(registry);
  const credentials = ecr
    ? `--docker-username=AWS --docker-password="$(aws ecr get-login-password --region ${ecr.region})"`
    : '--docker-username=<user> --docker-password=<password-or-token>';
  return `kubectl ${ns(names)} create secret docker-registry ${secret} --docker-server=${dockerServer(registry)} ${credentials}`;
}

function attachToServiceAccount(names: NamesInScope, secret: string): string {
  return `kubectl ${ns(names)} patch serviceaccount ${names.serviceAccount} -p '{"imagePullSecrets":[{"name":"${secret}"}]}'`;
}

function step(title: string, command?: string): RemediationStep {
  return command ? { title, command } : { title };
}

/** What to do about missing or rejected credentials, from what the forwarder saw of the pod's pull secrets. */
function credentialSteps(input: RemediationInput, rejectedHint: string): RemediationStep[] {
  const { names, image } = input;
  const registry = image?.registry ?? '<registry>';
  const host = credentialHostKey(registry);
  const steps: RemediationStep[] = [];
  const referenced = names.imagePullSecrets;
  const info = (name: string) => names.pullSecrets.find((s) => s.name === name);
  if (referenced.length === 0) {
    steps.push(
      step(
        `Create a pull secret for ${registry} in ${names.namespace ?? 'the namespace'}`,
        createSecret(names, 'regcred', registry),
      ),
      step(
        `Attach it to service account ${names.serviceAccount}, which the pod uses (it has no imagePullSecrets)`,
        attachToServiceAccount(names, 'regcred'),
      ),
    );
    if (names.workload)
      steps.push(
        step(
          `Restart ${names.workload} so new pods pick the secret up`,
          `kubectl ${ns(names)} rollout restart ${names.workload}`,
        ),
      );
  }
  for (const name of referenced) {
    const secret = info(name);
    if (secret && !secret.exists) {
      steps.push(
        step(
          `The pod references pull secret ${name}, which does not exist in ${names.namespace ?? 'the namespace'}: create it`,
          createSecret(names, name, registry),
        ),
      );
    } else if (
      secret &&
      secret.registries.length > 0 &&
      !secret.registries.some((r) => credentialHostKey(r) === host)
    ) {
      steps.push(
        step(
          `Pull secret ${name} has no entry for ${registry} (it covers ${secret.registries.join(', ')}): recreate it for this registry`,
          `kubectl ${ns(names)} delete secret ${name} && ${createSecret(names, name, registry)}`,
        ),
      );
    } else {
      steps.push(
        step(
          `Pull secret ${name}${secret ? '' : ' (not inspected)'} exists for ${registry} but ${rejectedHint}: replace its credentials`,
          `kubectl ${ns(names)} delete secret ${name} && ${createSecret(names, name, registry)}`,
        ),
      );
    }
  }
  if (ecrHost(registry)) {
    steps.push(
      step(
        'ECR passwords expire after 12 hours: refresh the secret on a schedule, or use the kubelet ECR credential provider on the nodes',
      ),
    );
  }
  return steps;
}

function mutableTagStep(input: RemediationInput): RemediationStep | null {
  const { image, names, probe } = input;
  if (!image || image.digest || (image.tag !== null && image.tag !== 'latest')) return null;
  const digest = probe?.manifest?.digest;
  return step(
    `:latest is mutable and is pulled again by every new pod${names.pullPolicy === 'Always' ? ' (imagePullPolicy: Always)' : ''}: pin a version${digest ? ' or this digest' : ''}`,
    digest ? setImage(names, withImage(image, { digest })) : undefined,
  );
}

function pullPolicyStep(names: NamesInScope, to: 'IfNotPresent'): RemediationStep {
  const container = names.container ?? '<container>';
  return step(
    `Set imagePullPolicy to ${to} for container ${container} (now ${names.pullPolicy ?? 'unknown'}), so nodes that have the image do not pull it again`,
    patchTemplate(names, { containers: [{ name: container, imagePullPolicy: to }] }),
  );
}

export function remediation(input: RemediationInput): RemediationStep[] {
  const { cause, image, names, probe } = input;
  const registry = image?.registry ?? '<registry>';
  const repoRef = image ? `${image.registry}/${image.repository}` : '<image>';
  const steps: RemediationStep[] = [];

  if (input.disagreement) {
    steps.push(
      step(
        `The registry answers correctly from ${input.checkedFrom}; look at node ${names.nodeName ?? '<node>'}: its DNS, proxy and firewall, any registry mirror configured in /etc/containerd/certs.d/${registry}/hosts.toml, and the pod's pull credentials`,
        names.nodeName
          ? `kubectl debug node/${names.nodeName} -it --image=busybox:1.36 -- wget -S -O /dev/null https://${probe?.apiHost ?? registry}/v2/`
          : undefined,
      ),
    );
  }

  // A cloud registry's own grant comes first: its nodes pull with their identity, not a pull secret.
  steps.push(...vendorAccessSteps(cause, image));

  switch (cause) {
    case 'tag_not_found': {
      const suggestions = probe?.suggestions ?? [];
      const closest = suggestions[0];
      if (image && closest) {
        steps.push(
          step(
            `Use an existing tag: ${image.tag ?? image.digest ?? 'the requested reference'} is not in ${repoRef}; closest: ${suggestions.join(', ')}`,
            setImage(names, withImage(image, { tag: closest })),
          ),
        );
      }
      steps.push(
        step(
          image && closest
            ? `Or publish ${image.full}: check the build that should have pushed it`
            : `Publish ${image?.full ?? 'the missing tag'} (check the build that should have pushed it), or deploy a tag the registry has`,
          image ? `skopeo list-tags docker://${repoRef}` : undefined,
        ),
      );
      break;
    }
    case 'repo_not_found':
      steps.push(
        step(
          `Check the repository name: ${registry} has no repository${image ? ` ${image.repository}` : ' by that name'}`,
        ),
      );
      if (image && credentialHostKey(registry) === 'docker.io' && !image.repository.includes('/')) {
        steps.push(
          step(`Official Docker Hub images live under library/: docker.io/library/${image.repository}`),
        );
      }
      break;
    case 'repo_not_found_or_denied':
      steps.push(
        step(
          `Check the repository name${image ? ` ${image.repository}` : ''}: ${registry} answers "not found" and "not authorized" alike to clients without access`,
        ),
        ...credentialSteps(input, 'the registry still refuses the pull'),
      );
      break;
    case 'unauthorized':
      steps.push(...credentialSteps(input, 'the registry rejects its credentials'));
      break;
    case 'forbidden': {
      const ecr = ecrHost(registry);
      const anonymous = probe !== null && !probe.blocked && probe.auth.credentials === 'anonymous';
      steps.push(
        step(
          anonymous
            ? `${registry} refuses ${image?.repository ?? 'this repository'} without credentials that may pull it (the check ran anonymously): grant pull to the identity the node or the pod's pull secret uses`
            : `The credentials are valid but may not pull ${image?.repository ?? 'this repository'}: grant pull on it to the account in the pull secret${ecr ? ' (IAM: ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, or the repository policy)' : ''}`,
          ecr && image
            ? `aws ecr get-repository-policy --repository-name ${image.repository} --region ${ecr.region}`
            : undefined,
        ),
      );
      if (ecr)
        steps.push(
          step(
            'An expired ECR token is also answered with 403: refresh the pull secret (tokens last 12 hours)',
          ),
        );
      break;
    }
    case 'rate_limited': {
      const retry = probe?.retryAfterSeconds;
      if (names.pullPolicy === 'Always') steps.push(pullPolicyStep(names, 'IfNotPresent'));
      if (credentialHostKey(registry) === 'docker.io') {
        steps.push(
          step(
            `Authenticate Docker Hub pulls (anonymous pulls share the node's IP quota${probe?.rateLimit?.source ? `, counted for ${probe.rateLimit.source}` : ''})`,
            createSecret(names, names.imagePullSecrets[0] ?? 'dockerhub', 'docker.io'),
          ),
        );
      }
      steps.push(
        step(
          'Pull through a registry mirror or pull-through cache (e.g. an ECR pull-through cache rule or a Harbor proxy project) and point containerd at it in hosts.toml',
        ),
      );
      if (retry !== null && retry !== undefined)
        steps.push(
          step(`The registry asks to retry after ${retry} s; kubelet retries on its own with back-off`),
        );
      break;
    }
    case 'platform_mismatch': {
      const available = probe?.platform?.available ?? [];
      const wanted = probe?.platform?.wanted;
      steps.push(
        step(
          `Build ${image?.full ?? 'the image'} for ${wanted ? formatPlatform(wanted) : "the node's platform"} too (it has ${available.map(formatPlatform).join(', ') || 'no matching platform'})`,
          image && wanted
            ? `docker buildx build --platform ${[...new Set([...available.map(formatPlatform), formatPlatform(wanted)])].join(',')} -t ${image.full} --push .`
            : undefined,
        ),
      );
      const arch = available.find((p) => !wanted || p.os === wanted.os)?.architecture;
      if (arch) {
        steps.push(
          step(
            `Or schedule the pods on ${arch} nodes`,
            patchTemplate(names, { nodeSelector: { 'kubernetes.io/arch': arch } }),
          ),
        );
      }
      break;
    }
    case 'dns':
      steps.push(
        step(
          `Check that ${probe?.apiHost ?? registry} is spelled right and resolves from the node`,
          `kubectl ${ns(names)} run dnscheck --rm -it --restart=Never --image=busybox:1.36 -- nslookup ${(probe?.apiHost ?? registry).replace(/:\d+$/, '')}`,
        ),
      );
      break;
    case 'connection_refused':
      steps.push(
        step(
          `Nothing accepts connections on ${probe?.apiHost ?? registry}${probe?.address ? ` (${probe.address})` : ''}: check that the registry runs and the port is right`,
        ),
      );
      if (/^(localhost|127\.)/.test(registry)) {
        steps.push(
          step(
            "localhost in an image name means the node's own loopback, not your workstation: expose the registry to the nodes",
          ),
        );
      }
      break;
    case 'timeout':
    case 'network_unreachable':
    case 'proxy':
      steps.push(
        step(
          `The path to ${probe?.apiHost ?? registry} is blocked or too slow: check firewalls, security groups, egress NetworkPolicies and the nodes' HTTP(S)_PROXY / NO_PROXY for containerd`,
          names.nodeName
            ? `kubectl debug node/${names.nodeName} -it --image=busybox:1.36 -- wget -S -O /dev/null https://${probe?.apiHost ?? registry}/v2/`
            : undefined,
        ),
      );
      break;
    case 'tls': {
      const tlsStep = probe?.steps.find((s) => s.step === 'tls' && !s.ok);
      // Without a TLS step of its own (the check stopped earlier), the node's x509 text says which problem.
      const said = tlsStep ? '' : (input.nodeEvidence ?? '');
      const code =
        tlsStep?.code ??
        (/certificate has expired|not yet valid/i.test(said)
          ? 'CERT_HAS_EXPIRED'
          : /certificate is valid for|doesn't match|not valid for any names/i.test(said)
            ? 'ERR_TLS_CERT_ALTNAME_INVALID'
            : '');
      if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
        steps.push(
          step(
            `Renew the TLS certificate of ${probe?.apiHost ?? registry}: ${tlsStep?.summary.split(' (')[0] ?? (said ? `the node reports "${said}"` : 'it is outside its validity period')}`,
          ),
        );
      } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
        steps.push(
          step(
            `Reissue the certificate of ${registry} with ${registry.replace(/:\d+$/, '')} in its subjectAltName`,
          ),
        );
      } else {
        steps.push(
          step(
            `Make the nodes trust the CA that signed ${registry}'s certificate: put it at /etc/containerd/certs.d/${registry}/ca.crt (or the system trust store) and restart containerd`,
          ),
        );
      }
      break;
    }
    case 'http_vs_https': {
      const speaksHttp = probe?.steps.some((s) => s.step === 'tls' && /plain HTTP/.test(s.summary)) ?? true;
      steps.push(
        speaksHttp
          ? step(
              `${registry} speaks plain HTTP: serve it over TLS, or declare it plain-HTTP on the nodes in /etc/containerd/certs.d/${registry}/hosts.toml`,
              `printf 'server = "http://${registry}"\\n[host."http://${registry}"]\\n  capabilities = ["pull", "resolve"]\\n' > /etc/containerd/certs.d/${registry}/hosts.toml`,
            )
          : step(
              `${registry} wants HTTPS: remove it from the nodes' plain-HTTP (insecure) registries and use https://${registry}`,
            ),
      );
      break;
    }
    case 'registry_server_error':
      // A 404 at /v2/ means no registry API answers there at all: a failing registry answers 5xx.
      if (probe?.steps.some((s) => s.step === 'ping' && s.status === 404)) {
        steps.push(
          step(
            `${registry} does not serve the registry API (GET /v2/ → 404): check the image's registry host and port (the API host, not a web UI), and for a mirror its configuration (/etc/containerd/certs.d/<host>/hosts.toml)`,
          ),
        );
        break;
      }
      steps.push(
        step(
          `${registry} is failing (${probe?.steps.find((s) => s.step === 'manifest' || s.step === 'ping')?.status ?? '5xx'}): check its status page or logs; kubelet retries on its own`,
        ),
      );
      break;
    case 'invalid_reference':
      steps.push(
        step(
          `Fix the image reference${names.workload ? ` in ${names.workload}` : ''}: ${image?.full ?? 'it'} is not a valid image name`,
        ),
      );
      break;
    case 'never_pull_policy':
      steps.push(
        step(
          `imagePullPolicy is Never and the image is not on node ${names.nodeName ?? '<node>'}: load it there (ctr -n k8s.io images import) or let the node pull it`,
        ),
        pullPolicyStep(names, 'IfNotPresent'),
      );
      break;
    case 'signature_policy':
      steps.push(
        step(
          `${image?.full ?? 'The image'} fails the nodes' signature policy: sign it, or adjust the policy for ${registry}`,
        ),
      );
      break;
    case 'disk_full':
      steps.push(
        step(
          `Node ${names.nodeName ?? '<node>'} has no room for the image: free space (crictl rmi --prune) or grow its disk`,
          names.nodeName ? `kubectl describe node ${names.nodeName}` : undefined,
        ),
      );
      break;
    case 'corrupt_or_interrupted':
      steps.push(
        step(
          'The download was cut or corrupt: delete the pod to retry; if it repeats, look at the network between the node and the registry',
          names.podName ? `kubectl ${ns(names)} delete pod ${names.podName}` : undefined,
        ),
      );
      break;
    default:
      if (!probe?.pullable) {
        steps.push(
          step(
            probe?.blocked
              ? `Allow the probe to reach ${registry} if it is a private registry (registry.allowHosts or --allow-host ${probe?.apiHost ?? registry})`
              : 'Read the full pull error on the pod',
            probe?.blocked
              ? undefined
              : names.podName
                ? `kubectl ${ns(names)} describe pod ${names.podName}`
                : undefined,
          ),
        );
      }
  }
  if (probe?.blocked && cause !== 'unknown') {
    steps.push(
      step(
        `The registry was not checked (SSRF guard): allow ${probe.apiHost} in registry.allowHosts to let pullwatch verify it`,
      ),
    );
  }
  const mutable = mutableTagStep(input);
  if (mutable && cause !== 'none') steps.push(mutable);
  return steps;
}
