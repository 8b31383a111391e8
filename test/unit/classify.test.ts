import { describe, expect, it } from 'vitest';
import { classify, parseReference } from '../../lib/classify/index.ts';
import { tryParseImageReference } from '../../lib/image/index.ts';

const NGINX_TAG_MISSING =
  'Failed to pull image "nginx:1.99": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found';

describe('classify: kinds and waiting reasons', () => {
  it('reads a containerd tag-not-found failure: cause, canonical image, registry, innermost evidence', () => {
    const result = classify({ reason: 'Failed', type: 'Warning', message: NGINX_TAG_MISSING });
    expect(result).toMatchObject({
      kind: 'pull_failure',
      reason: 'ErrImagePull',
      cause: 'tag_not_found',
      category: 'availability',
      image: 'docker.io/library/nginx:1.99',
      registry: 'docker.io',
      imageText: 'nginx:1.99',
      evidence: 'docker.io/library/nginx:1.99: not found',
    });
  });

  it('treats Pulled and "already present" as pulled, and Pulling as no signal', () => {
    expect(
      classify({
        reason: 'Pulled',
        message:
          'Successfully pulled image "ghcr.io/acme/api:1.2" in 1.234s (1.234s including waiting). Image size: 1024 bytes.',
      }),
    ).toMatchObject({ kind: 'pulled', cause: 'none', image: 'ghcr.io/acme/api:1.2', registry: 'ghcr.io' });
    expect(classify({ message: 'Container image "busybox" already present on machine' })).toMatchObject({
      kind: 'pulled',
      image: 'docker.io/library/busybox:latest',
    });
    expect(classify({ reason: 'Pulling', message: 'Pulling image "busybox:1.36"' })).toMatchObject({
      kind: 'not_image',
      cause: 'none',
    });
    // Old kubelets announced in lower case; pasted without a reason it is still only the announcement.
    expect(classify({ message: 'pulling image "gcr.io/google_containers/pause:3.0"' })).toMatchObject({
      kind: 'not_image',
      rule: 'kubelet.pulling',
    });
  });

  it("reads crictl's `pulling image failed: …` and `pulling image: …` as the failure, not kubelet's announcement", () => {
    // cri-o/cri-o#3863, cri-o/cri-o#5282 (crictl's FATA lines, pasted without a reason).
    expect(
      classify({
        message:
          'pulling image failed: rpc error: code = Unknown desc = error pinging docker registry 10.0.0.5:5000: invalid status code from registry 502 (Bad Gateway)',
      }),
    ).toMatchObject({ kind: 'pull_failure', cause: 'registry_server_error' });
    expect(
      classify({
        message:
          'pulling image: rpc error: code = Unknown desc = Error reading manifest v3.20.0 in docker.io/calico/kube-controllers: toomanyrequests: You have reached your pull rate limit.',
      }),
    ).toMatchObject({ kind: 'pull_failure', cause: 'rate_limited' });
  });

  it('reads back-off without cause text as none, and with an appended previous error as that cause', () => {
    expect(
      classify({ reason: 'BackOff', type: 'Normal', message: 'Back-off pulling image "tutum/curl"' }),
    ).toMatchObject({
      kind: 'pull_backoff',
      reason: 'ImagePullBackOff',
      cause: 'none',
      image: 'docker.io/tutum/curl:latest',
    });
    const waiting = classify({
      reason: 'ImagePullBackOff',
      message: `Back-off pulling image "nginx:1.99": ErrImagePull: ${NGINX_TAG_MISSING.slice(NGINX_TAG_MISSING.indexOf('rpc error'))}`,
    });
    expect(waiting).toMatchObject({
      kind: 'pull_backoff',
      reason: 'ImagePullBackOff',
      cause: 'tag_not_found',
    });
    expect(
      classify({
        reason: 'ImagePullBackOff',
        message: 'Back-off pulling image "x/y:1": ErrImagePull: a brand new failure',
      }).cause,
    ).toBe('unknown');
  });

  it('maps bare waiting reasons: no-cause names to none, cause-bearing names to their cause', () => {
    expect(classify({ reason: 'Failed', message: 'Error: ErrImagePull' })).toMatchObject({
      kind: 'pull_backoff',
      reason: 'ErrImagePull',
      cause: 'none',
      evidence: '',
    });
    expect(classify({ reason: 'Failed', message: 'Error: ImagePullBackOff' })).toMatchObject({
      reason: 'ImagePullBackOff',
      cause: 'none',
    });
    expect(classify({ reason: 'Failed', message: 'Error: InvalidImageName' })).toMatchObject({
      kind: 'pull_failure',
      reason: 'InvalidImageName',
      cause: 'invalid_reference',
    });
    expect(classify({ reason: 'ErrImageNeverPull', message: '' })).toMatchObject({
      reason: 'ErrImageNeverPull',
      cause: 'never_pull_policy',
    });
  });

  it('keeps the waiting reason CRI-O signals while the cause comes from the text inside it', () => {
    expect(
      classify({
        reason: 'Failed',
        message:
          'Failed to pull image "registry.example.com/team/app:2": RegistryUnavailable: pinging container registry registry.example.com: Get "https://registry.example.com/v2/": dial tcp 10.0.0.7:443: connect: connection refused',
      }),
    ).toMatchObject({
      reason: 'RegistryUnavailable',
      cause: 'connection_refused',
      category: 'network',
      registry: 'registry.example.com',
      evidence: 'dial tcp 10.0.0.7:443: connect: connection refused',
    });
    expect(
      classify({
        reason: 'RegistryUnavailable',
        message: 'image pull failed for registry.example.com/team/app:2 because the registry is unavailable.',
      }),
    ).toMatchObject({
      reason: 'RegistryUnavailable',
      cause: 'registry_server_error',
      image: 'registry.example.com/team/app:2',
    });
  });

  it('sets InvalidImageName for kubelet parse failures and keeps the unparseable text', () => {
    const result = classify({
      reason: 'InspectFailed',
      message:
        'Failed to apply default image tag "Acme/App:1": couldn\'t parse image reference "Acme/App:1": invalid reference format: repository name must be lowercase',
    });
    expect(result).toMatchObject({
      kind: 'pull_failure',
      reason: 'InvalidImageName',
      cause: 'invalid_reference',
      image: null,
      imageText: 'Acme/App:1',
    });
  });

  it('reads sandbox (pause) image pull failures as pull failures without a container waiting reason', () => {
    const result = classify({
      reason: 'FailedCreatePodSandBox',
      message:
        'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image "registry.k8s.io/pause:3.9": failed to pull image "registry.k8s.io/pause:3.9": failed to pull and unpack image "registry.k8s.io/pause:3.9": failed to resolve reference "registry.k8s.io/pause:3.9": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.9": dial tcp 34.96.108.209:443: i/o timeout',
    });
    expect(result).toMatchObject({
      kind: 'pull_failure',
      reason: null,
      cause: 'timeout',
      image: 'registry.k8s.io/pause:3.9',
    });
  });

  it('reads old FailedSync events through their escaped quotes', () => {
    const result = classify({
      reason: 'FailedSync',
      message:
        'Error syncing pod, skipping: failed to "StartContainer" for "web" with ErrImagePull: "rpc error: code = 2 desc = Error response from daemon: {\\"message\\":\\"manifest for acme/web:9 not found\\"}"',
    });
    expect(result).toMatchObject({ kind: 'pull_failure', reason: 'ErrImagePull', cause: 'tag_not_found' });
  });

  it('leaves events that are not about image pulls alone', () => {
    for (const event of [
      { reason: 'BackOff', message: 'Back-off restarting failed container app in pod web-1_default(uid)' },
      {
        reason: 'Failed',
        message:
          'Error: failed to create containerd task: failed to create shim task: no space left on device',
      },
      {
        reason: 'Unhealthy',
        message:
          'Readiness probe failed: Get "http://10.0.0.4:8080/ready": dial tcp 10.0.0.4:8080: connect: connection refused',
      },
      {
        reason: 'FailedMount',
        message: 'MountVolume.SetUp failed for volume "config" : configmap "app" not found',
      },
      { reason: 'Scheduled', message: 'Successfully assigned default/web-1 to node-a' },
    ]) {
      expect(classify(event), event.message).toMatchObject({
        kind: 'not_image',
        cause: 'none',
        reason: null,
      });
    }
  });

  it('classifies a bare runtime error (no reason, as the CLI receives it) when a rule recognises it', () => {
    expect(
      classify({ message: 'dial tcp: lookup registry.internal on 10.96.0.10:53: no such host' }),
    ).toMatchObject({
      kind: 'pull_failure',
      cause: 'dns',
      image: null,
    });
    expect(classify({ message: 'hello world' })).toMatchObject({ kind: 'not_image', cause: 'none' });
  });

  it('leaves other Warning events alone, with their reason and pasted without one (real wordings)', () => {
    const events = [
      // lucidworks/fusion-cloud-native#198
      {
        reason: 'FailedScheduling',
        message:
          "0/4 nodes are available: 1 node(s) exceed max volume count, 3 node(s) didn't match Pod's node affinity.",
      },
      // hystax/optscale#568
      {
        reason: 'FailedScheduling',
        message:
          '0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
      },
      // oomichi/try-kubernetes#39
      {
        reason: 'FailedMount',
        message:
          'Unable to mount volumes for pod "ss-0_e2e-tests-statefulset-mrszs(585ac3b0-a030-11e8-a146-fa163e420595)": timeout expired waiting for volumes to attach or mount for pod "e2e-tests-statefulset-mrszs"/"ss-0". list of unmounted volumes=[datadir]. list of unattached volumes=[datadir home default-token-m6gdr]',
      },
      // kubernetes/kubernetes#68178: the sandbox container would not start (exec format error), no pull.
      {
        reason: 'FailedCreatePodSandBox',
        message:
          'Failed create pod sandbox: rpc error: code = Unknown desc = failed to start sandbox container for pod "kube-proxy-5mgbx": Error response from daemon: oci runtime error: fork/exec /usr/libexec/oci/hooks.d/oci-register-machine: exec format error',
      },
      // kata-containers/kata-containers#6087
      {
        reason: 'Failed',
        message:
          'Error: failed to create containerd task: failed to create shim task: UnknownErrno: Unknown errno: unknown',
      },
      // An amd64 image on an arm64 node pulls fine and then crash-loops: kubelet's restart back-off and the
      // container's log line (nigelpoulton/TheK8sBook#46, combor/k8s-mongo-labeler-sidecar#14) are not pulls.
      { reason: 'BackOff', message: 'Back-off restarting failed container' },
      { reason: '', message: 'exec /bin/sh: exec format error' },
      { reason: '', message: 'standard_init_linux.go:228: exec user process caused: exec format error' },
    ];
    for (const event of events) {
      for (const input of [event, { message: event.message }]) {
        expect(classify(input), `${input.message} (${JSON.stringify(input)})`).toMatchObject({
          kind: 'not_image',
          cause: 'none',
        });
      }
    }
  });

  it('does not take a probe, mount or container-start error for a pull failure when no reason says so', () => {
    // Without a reason the CLI reads any recognised runtime error as a pull failure; kubelet's framing for
    // another concern says otherwise, even when the error inside it (refused, timeout, not found) is a rule's.
    for (const message of [
      'Readiness probe failed: Get "http://10.0.0.4:8080/ready": dial tcp 10.0.0.4:8080: connect: connection refused',
      'MountVolume.SetUp failed for volume "config" : configmap "app" not found',
      'Error: failed to create containerd task: failed to create shim task: no space left on device',
    ]) {
      expect(classify({ message }), message).toMatchObject({ kind: 'not_image', cause: 'none' });
    }
    // …while a bare runtime error with no other framing still counts.
    expect(classify({ message: 'dial tcp 10.0.0.9:5000: connect: connection refused' }).cause).toBe(
      'connection_refused',
    );
  });

  it("reads past the field path newer kubectl prints before an event's message", () => {
    // kubernetes/website#56173
    expect(
      classify({ reason: 'Failed', message: 'spec.containers{kubernetes-bootcamp}: Error: ErrImagePull' }),
    ).toMatchObject({ kind: 'pull_backoff', reason: 'ErrImagePull', cause: 'none' });
    expect(
      classify({
        reason: 'BackOff',
        message:
          'spec.initContainers{init}: Back-off pulling image "gcr.io/google-samples/kubernetes-bootcamp:v10"',
      }),
    ).toMatchObject({
      kind: 'pull_backoff',
      cause: 'none',
      imageText: 'gcr.io/google-samples/kubernetes-bootcamp:v10',
    });
    const failed = classify({
      reason: 'Failed',
      message: `spec.containers{web}: ${NGINX_TAG_MISSING}`,
    });
    expect(failed).toMatchObject({ kind: 'pull_failure', cause: 'tag_not_found', imageText: 'nginx:1.99' });
    // Only a leading path is read past: the same words inside a message are left alone.
    expect(classify({ message: 'container spec.containers{web}: Error: ErrImagePull' }).cause).not.toBe(
      'none',
    );
  });

  it('gives unknown, with no evidence, to a pull failure it does not recognise', () => {
    expect(
      classify({ reason: 'Failed', message: 'Failed to pull image "acme/app:1": something nobody has seen' }),
    ).toMatchObject({
      kind: 'pull_failure',
      cause: 'unknown',
      category: 'unknown',
      evidence: '',
      confidence: 0,
      image: 'docker.io/acme/app:1',
    });
  });
});

describe('classify: precedence', () => {
  const cases: Array<[string, string, string]> = [
    [
      "a specific ECR denial beats Docker's ambiguous wrapper",
      "Error response from daemon: pull access denied for 1.dkr.ecr.eu-west-1.amazonaws.com/app, repository does not exist or may require 'docker login': denied: User: arn:aws:sts::1:assumed-role/node/i-1 is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:eu-west-1:1:repository/app",
      'forbidden',
    ],
    [
      'the proxy beats the refused connection to it',
      'failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/latest": proxyconnect tcp: dial tcp 10.1.1.1:3128: connect: connection refused',
      'proxy',
    ],
    [
      'a DNS lookup that times out is DNS',
      'Get "https://quay.io/v2/": dial tcp: lookup quay.io on 10.96.0.10:53: read udp 10.0.0.5:4000->10.96.0.10:53: i/o timeout',
      'dns',
    ],
    [
      'a TLS handshake timeout is a timeout, not TLS',
      'Get "https://ghcr.io/v2/": net/http: TLS handshake timeout',
      'timeout',
    ],
    [
      'a rate limit that mentions authenticating is a rate limit',
      'toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading',
      'rate_limited',
    ],
    [
      'an ECR rate limit',
      'failed to copy: httpReadSeeker: failed open: unexpected status code https://1.dkr.ecr.us-east-1.amazonaws.com/v2/app/blobs/sha256:abc: 429 Too Many Requests - Server message: toomanyrequests: Rate exceeded',
      'rate_limited',
    ],
    [
      'the innermost timeout beats the token-fetch wrapper',
      'failed to authorize: failed to fetch oauth token: Post "https://auth.example.com/token": dial tcp 10.2.2.2:443: i/o timeout',
      'timeout',
    ],
    [
      "docker's own API error (500) is not a registry 5xx",
      'API error (500): Get https://registry.example.com/v2/app/manifests/1: unauthorized: authentication required',
      'unauthorized',
    ],
    [
      'a local content-store miss is not a missing tag',
      'failed to pull and unpack image "docker.io/library/redis:7": failed to unpack image on snapshotter overlayfs: content digest sha256:0c18b88b8db3c193eefeede31a80d5d0c850306076b7166910ed239685dd20b0: not found',
      'corrupt_or_interrupted',
    ],
    [
      'a blob the registry lists but cannot serve is a registry error',
      'failed to copy: httpReadSeeker: failed open: could not fetch content descriptor sha256:0123 (application/vnd.oci.image.layer.v1.tar+gzip) from remote: not found',
      'registry_server_error',
    ],
    [
      'Harbor reports a missing project',
      'failed to resolve reference "harbor.example.com/nope/app:1": unexpected status from HEAD request to https://harbor.example.com/v2/nope/app/manifests/1: 404 Not Found\nunknown: project nope not found: project nope not found',
      'repo_not_found',
    ],
    [
      'distribution NAME_UNKNOWN',
      'reading manifest 1 in registry.example.com/nope: name unknown: repository name not known to registry',
      'repo_not_found',
    ],
    [
      'GCR permission denial',
      'Error response from daemon: Get https://gcr.io/v2/acme/app/manifests/1: denied: Permission denied for "1" from request "/v2/acme/app/manifests/1".',
      'forbidden',
    ],
    [
      'ACR network rule',
      'failed to resolve reference "acme.azurecr.io/app:1": failed to authorize: failed to fetch anonymous token: unexpected status: 403 Forbidden\ndenied: client with IP \'203.0.113.9\' is not allowed access. Refer https://aka.ms/acr/firewall to grant access.',
      'forbidden',
    ],
    [
      'a bare GHCR denied',
      'Error response from daemon: Head "https://ghcr.io/v2/acme/secret/manifests/latest": denied',
      'repo_not_found_or_denied',
    ],
    ['kubelet pull QPS throttle', 'pull QPS exceeded', 'rate_limited'],
    [
      'HTTP spoken to a TLS port, as Go reports it',
      'Get "https://registry.example.com:5000/v2/": net/http: HTTP/1.x transport connection broken: malformed HTTP response "\\x15\\x03\\x01\\x00\\x02\\x02"',
      'http_vs_https',
    ],
    [
      'a Windows image on a Linux node',
      'image operating system "windows" cannot be used on this platform',
      'platform_mismatch',
    ],
    [
      'a broken local snapshot chain is not a missing tag',
      'failed to pull and unpack image "docker.io/library/redis:7": failed to prepare extraction snapshot "extract-123-abc sha256:0123": parent snapshot sha256:4567 does not exist: not found',
      'corrupt_or_interrupted',
    ],
    [
      "containerd's pull-progress timeout",
      'failed to pull and unpack image "docker.io/library/big:1": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://production.cloudflare.docker.com/x": context canceled; cancel pulling image docker.io/library/big:1 because of no progress in 1m0s',
      'timeout',
    ],
    [
      'GHCR permission_denied',
      'failed to resolve reference "ghcr.io/acme/app:1": unexpected status from HEAD request to https://ghcr.io/v2/acme/app/manifests/1: 403 Forbidden\ndenied: permission_denied: read_package',
      'forbidden',
    ],
    [
      'an unreachable container runtime is not a registry connection failure',
      'rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing dial unix /var/run/crio/crio.sock: connect: connection refused"',
      'unknown',
    ],
    [
      'Quay expired tag',
      'reading manifest old in quay.io/acme/app: unknown: Tag old was deleted or has expired. To pull, revive via time machine',
      'tag_not_found',
    ],
  ];
  for (const [name, message, cause] of cases) {
    it(name, () => {
      expect(classify({ reason: 'ErrImagePull', message }).cause).toBe(cause);
    });
  }

  it('does not read rule words inside an image name as causes', () => {
    const result = classify({
      reason: 'Failed',
      message:
        'Failed to pull image "enix/x509-certificate-exporter:9.9.9": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/enix/x509-certificate-exporter:9.9.9": failed to resolve reference "docker.io/enix/x509-certificate-exporter:9.9.9": docker.io/enix/x509-certificate-exporter:9.9.9: not found',
    });
    expect(result.cause).toBe('tag_not_found');
    const tlsImage = classify({
      reason: 'Failed',
      message:
        'Failed to pull image "acme/tls:403": Error response from daemon: manifest for acme/tls:403 not found: manifest unknown: manifest unknown',
    });
    expect(tlsImage.cause).toBe('tag_not_found');
  });

  it('does not read a repository named like the signature policy file as a policy problem', () => {
    const result = classify({
      reason: 'Failed',
      message:
        'Failed to pull image "acme/policy.json:1": failed to pull and unpack image "docker.io/acme/policy.json:1": failed to resolve reference "docker.io/acme/policy.json:1": docker.io/acme/policy.json:1: not found',
    });
    expect(result.cause).toBe('tag_not_found');
    expect(
      classify({ reason: 'ErrImagePull', message: 'open /etc/crio/policy.json: permission denied' }).cause,
    ).toBe('signature_policy');
  });

  it("reads kubelet's per-credential aggregate by the attempt that reached the registry content", () => {
    const refused =
      'rpc error: code = Unknown desc = Error response from daemon: Get https://r.example/v2/app/manifests/1: unauthorized: authentication required';
    const missing =
      'rpc error: code = Unknown desc = Error response from daemon: manifest for r.example/app:1 not found: manifest unknown: manifest unknown';
    const both = classify({
      reason: 'Failed',
      message: `Failed to pull image "r.example/app:1": [${refused}, ${missing}]`,
    });
    expect(both).toMatchObject({ cause: 'tag_not_found', image: 'r.example/app:1' });
    expect(both.evidence).toContain('manifest unknown');
    // Every attempt refused: the refusal stands.
    expect(
      classify({
        reason: 'Failed',
        message: `Failed to pull image "r.example/app:1": [${refused}, ${refused}]`,
      }).cause,
    ).toBe('unauthorized');
    // Not an aggregate: the usual precedence (the credential problem first).
    expect(
      classify({
        reason: 'Failed',
        message: `Failed to pull image "r.example/app:1": ${refused}; ${missing}`,
      }).cause,
    ).toBe('unauthorized');
  });

  it("reads a proxy's refusal of the CONNECT (bare status text after the URL) as proxy, a registry's status as the registry's", () => {
    // Go's transport returns only the proxy's status text when the CONNECT is refused.
    for (const message of [
      'Error response from daemon: Get "https://registry.k8s.io/v2/": Bad Gateway',
      'Error response from daemon: Head "https://europe-west3-docker.pkg.dev/v2/p/r/app/manifests/1": Forbidden',
      'Error response from daemon: Get https://mcr.microsoft.com/v2/: Service Unavailable',
      'pinging container registry r.example: Get "https://r.example/v2/": Internal Server Error',
      // A proxy's own spelling of its 407 reason phrase (rancher/rancher#6706).
      'Error while pulling image: Get https://index.docker.io/v1/repositories/rancher/agent/images: authenticationrequired',
    ]) {
      expect(classify({ reason: 'ErrImagePull', message }), message).toMatchObject({
        cause: 'proxy',
        rule: 'net.proxy-connect-status',
      });
    }
    // The registry's own answers carry their code, and a Docker API wrapper is not a URL's clause.
    for (const message of [
      'Error response from daemon: received unexpected HTTP status: 502 Bad Gateway',
      'failed to copy: httpReadSeeker: failed open: unexpected status code https://quay.io/v2/a/b/blobs/sha256:c172: 502 Bad Gateway',
      'Error response from daemon: Head "https://ghcr.io/v2/acme/app/manifests/1": forbidden: the token has no access',
      'Error response from daemon: Get https://r.example/v2/app/manifests/1: unauthorized: authentication required',
    ]) {
      expect(classify({ reason: 'ErrImagePull', message }).rule, message).not.toBe(
        'net.proxy-connect-status',
      );
    }
  });

  it('reads missing Basic credentials as unauthorized even inside containerd\'s "may not exist" wrapper', () => {
    // containerd wraps every 401 in `pull access denied, repository does not exist or may require
    // authorization: …`; the reason after it decides. No credentials for a Basic-auth registry is a credential
    // problem; Docker Hub's insufficient_scope stays ambiguous.
    const wrapper =
      'failed to resolve reference "r.example/app:1": pull access denied, repository does not exist or may require authorization: ';
    expect(
      classify({
        reason: 'ErrImagePull',
        message: `${wrapper}authorization failed: no basic auth credentials`,
      }),
    ).toMatchObject({
      cause: 'unauthorized',
      rule: 'auth.no-credentials',
      evidence: 'no basic auth credentials',
    });
    expect(
      classify({
        reason: 'ErrImagePull',
        message: `${wrapper}server message: insufficient_scope: authorization failed`,
      }).cause,
    ).toBe('repo_not_found_or_denied');
  });

  it('reads a bearer token that does not cover the repository as unauthorized, whatever code fronts it', () => {
    for (const message of [
      'Error response from daemon: name invalid: Requested repository does not match bearer token resource: library/app',
      'error pulling image configuration: unauthorized: Requested repository does not match bearer token resource: app',
    ]) {
      expect(classify({ reason: 'ErrImagePull', message }).cause, message).toBe('unauthorized');
    }
  });

  it("reads a registry that names the caller anonymous as missing credentials, not containerd's anonymous-token refusal", () => {
    expect(
      classify({
        reason: 'ErrImagePull',
        message:
          'reading manifest 1 in iad.ocir.io/ns/app: denied: Anonymous users are only allowed read access on public repos',
      }),
    ).toMatchObject({
      cause: 'unauthorized',
      rule: 'auth.unauthenticated',
      evidence: 'denied: Anonymous users are only allowed read access on public repos',
    });
    expect(
      classify({
        reason: 'ErrImagePull',
        message:
          'failed to resolve reference "ghcr.io/acme/app:1": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token: 401 Unauthorized',
      }).cause,
    ).toBe('repo_not_found_or_denied');
  });

  it('reads "do not have the permission" as a permission denial whatever code prefixes it', () => {
    expect(
      classify({
        reason: 'ErrImagePull',
        message:
          'Error response from daemon: unauthorized: {"errors":[{"code":"DENIED","message":"you do not have the permission","detail":""}]}',
      }),
    ).toMatchObject({ cause: 'forbidden', rule: 'auth.permission-denied' });
  });

  it('reads an HTML page where JSON belongs as the registry side, unless a status came with it', () => {
    const html = "invalid character '<' looking for beginning of value";
    expect(
      classify({
        reason: 'ErrImagePull',
        message: `Error initializing image from source docker://r.example:5000/app: ${html}`,
      }),
    ).toMatchObject({ cause: 'registry_server_error', rule: 'registry.html-body', evidence: html });
    expect(
      classify({
        reason: 'ErrImagePull',
        message: `Error response from daemon: error parsing HTTP 403 response body: ${html}: "<html>"`,
      }).cause,
    ).toBe('forbidden');
    expect(
      classify({
        reason: 'ErrImagePull',
        message: `Error response from daemon: error parsing HTTP 401 response body: ${html}: "<html>"`,
      }).cause,
    ).toBe('unauthorized');
  });

  it("reads a proxy refusing the CONNECT with any reason phrase, and a registry's coded 405 as not the proxy", () => {
    expect(
      classify({
        reason: 'ErrImagePull',
        message: 'error pinging docker registry r.example: Get "https://r.example/v2/": Method Not Allowed',
      }),
    ).toMatchObject({ cause: 'proxy', rule: 'net.proxy-connect-status' });
    expect(
      classify({
        reason: 'ErrImagePull',
        message:
          'failed open: unexpected status code https://r.example/v2/app/blobs/sha256:c1: 405 Method Not Allowed',
      }).rule,
    ).not.toBe('net.proxy-connect-status');
  });

  it("reads old runtimes' registry-unavailable wordings and a manifest answered without its digest as the registry side", () => {
    for (const message of [
      'image pull failed for registry.example.com/team/app:2 because the registry is temporarily unavailable.',
      'Pulling repository docker.io/acme/app\nCould not reach any registry endpoint',
      'ctr: failed to resolve reference "r.example/app:1": could not resolve digest for r.example/app:1',
    ]) {
      expect(classify({ reason: 'ErrImagePull', message }).cause, message).toBe('registry_server_error');
    }
  });

  it('keeps the decisive clause in the evidence when a paste wraps the message across lines', () => {
    const result = classify({
      reason: 'Failed',
      message:
        'Failed to pull image "r.example/app:1": failed to resolve\nreference "r.example/app:1":\nr.example/app:1: not found',
    });
    expect(result).toMatchObject({ cause: 'tag_not_found' });
    expect(result.evidence).toContain('not found');
  });

  it("reads a failed write to the node's disk (EIO) as the node's disk, and leaves a read error to other rules", () => {
    expect(
      classify({
        reason: 'ErrImagePull',
        message: 'failed to register layer: write /var/lib/docker/overlay2/l/a.so: input/output error',
      }),
    ).toMatchObject({
      cause: 'disk_full',
      rule: 'node.disk-io-error',
      evidence: 'write /var/lib/docker/overlay2/l/a.so: input/output error',
    });
    expect(
      classify({
        reason: 'ErrImagePull',
        message: 'failed to register layer: read /var/lib/docker/tmp/layer.tar: input/output error',
      }).cause,
    ).not.toBe('disk_full');
  });

  it('does not read version numbers as HTTP statuses', () => {
    const result = classify({
      reason: 'Failed',
      message:
        'Failed to pull image "acme/app:1.403.429": failed to pull and unpack image "docker.io/acme/app:1.403.429": failed to resolve reference "docker.io/acme/app:1.403.429": docker.io/acme/app:1.403.429: not found',
    });
    expect(result.cause).toBe('tag_not_found');
  });
});

describe('classify: evidence never carries secrets', () => {
  it('masks URL query strings (signed CDN and S3 links) and user-info', () => {
    const result = classify({
      reason: 'Failed',
      message:
        'Failed to pull image "ecr/app:1": failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com/abc/def?X-Amz-Security-Token=SECRETTOKEN&X-Amz-Signature=SECRETSIG": dial tcp 52.1.1.1:443: connect: connection refused',
    });
    expect(result.cause).toBe('connection_refused');
    const proxied = classify({
      message:
        'proxyconnect tcp: dial tcp: lookup http://user:hunter2@proxy.corp:3128/?token=abc: no such host',
    });
    for (const evidence of [result.evidence, proxied.evidence]) {
      expect(evidence).not.toMatch(/SECRET|hunter2|token=abc/);
    }
    expect(proxied.evidence).toContain('http://…@proxy.corp:3128/?…');
  });

  it('keeps the decisive clause of a masked URL', () => {
    const result = classify({
      reason: 'Failed',
      message:
        'Failed to pull image "ghcr.io/acme/app:1": failed to pull and unpack image "ghcr.io/acme/app:1": failed to resolve reference "ghcr.io/acme/app:1": failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://ghcr.io/token?scope=repository%3Aacme%2Fapp%3Apull&service=ghcr.io: 403 Forbidden',
    });
    expect(result.evidence).toBe(
      'unexpected status from GET request to https://ghcr.io/token?…: 403 Forbidden',
    );
  });
});

describe('parseReference (the memoised reference parser)', () => {
  it('answers exactly what tryParseImageReference answers, first time, repeated and after the memo fills', () => {
    const inputs = [
      'nginx',
      'nginx:1.99',
      'Acme/App:1',
      'XXX',
      '',
      `localhost:5000/a/b@sha256:${'a'.repeat(64)}`,
    ];
    for (let round = 0; round < 2; round += 1) {
      for (const input of inputs) {
        expect(parseReference(input)).toEqual(tryParseImageReference(input));
      }
    }
    for (let i = 0; i < 5000; i += 1) parseReference(`acme/app-${i}:1`);
    for (const input of inputs) expect(parseReference(input)).toEqual(tryParseImageReference(input));
    expect(parseReference('nginx:1.99')?.canonical).toBe('docker.io/library/nginx:1.99');
    expect(parseReference('Acme/App:1')).toBeNull();
  });
});
