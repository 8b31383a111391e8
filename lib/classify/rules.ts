import type { Cause } from './causes.ts';

/**
 * One line of the cause table. A rule fires when the lower-cased message contains one of `any` (a cheap
 * `includes` prefilter) and, when given, `pattern` also matches (patterns run on the lower-cased text and
 * never see a message whose prefilter failed). The first rule in RULES that fires decides the cause, so the
 * table order IS the precedence: kubelet's own verdicts, then the innermost transport failure (proxy, DNS,
 * routing, refused, TLS), then the registry's answer (limits, permission, ambiguity, credentials,
 * availability, content), then generic wrappers (5xx, timeouts, EOF, "not found") last.
 */
export interface Rule {
  id: string;
  cause: Cause;
  /** 0–1: a registry error code or a Go net error is specific; a bare status or wrapper phrase is not. */
  confidence: number;
  /** Lower-case substrings; the rule is only considered when at least one occurs. */
  any: readonly string[];
  /** Optional confirmation on the lower-cased text; its match is where the evidence starts. */
  pattern?: RegExp;
  /**
   * Lower-case anchors searched backwards (at most 240 characters) from the match, so the evidence shows
   * the whole Go error (`dial tcp 10.0.0.1:443: connect: connection refused`, not just its tail).
   */
  back?: readonly string[];
  /** Start the evidence at the last occurrence instead of the first: the innermost clause of a Go chain. */
  last?: boolean;
}

const NET_ANCHORS = [
  'dial tcp',
  'dial udp',
  'read tcp',
  'read udp',
  'write tcp',
  'lookup ',
  'net/http: ',
] as const;
const STATUS_ANCHORS = [
  'unexpected status',
  'unexpected http status',
  'status code',
  'error parsing http',
] as const;

/**
 * An HTTP status as the runtimes print it (`: 403 Forbidden`, `(HTTP code 403)`, `StatusCode: 403,`), but
 * not the same digits inside a version, address or digest (`v1.403`, `10.4.0.3`, `sha256:…403…`).
 */
const STATUS = (code: number) => `(?:^|[\\s(=\\[])${code}(?:$|[\\s),:\\]])`;

export const RULES: readonly Rule[] = [
  // ── kubelet's own verdicts: nothing was fetched, the text is kubelet's ──────────────────────────────
  {
    id: 'kubelet.never-pull',
    cause: 'never_pull_policy',
    confidence: 1,
    any: ['pull policy of never', 'errimageneverpull'],
    back: ['is not present'],
  },
  {
    id: 'kubelet.invalid-name',
    cause: 'invalid_reference',
    confidence: 0.95,
    any: [
      'failed to apply default image tag',
      "couldn't parse image",
      'invalid reference format',
      'invalidimagename',
      'repository name must be lowercase',
      'repository name must be canonical',
      'invalid image name',
      'invalid checksum digest format',
      'unsupported digest algorithm',
    ],
  },
  {
    // CRI-O / containers-image short-name policy: the reference must be fully qualified on this node.
    id: 'runtime.short-name',
    cause: 'invalid_reference',
    confidence: 0.85,
    any: [
      'short-name "',
      'short-name resolution',
      'short name mode',
      'unqualified image',
      'unqualified-search',
    ],
    back: ['no registries configured', 'short-name'],
  },
  {
    id: 'runtime.signature',
    cause: 'signature_policy',
    confidence: 0.95,
    any: [
      'signaturevalidationfailed',
      'signature validation failed',
      'source image rejected',
      'signature was required',
      'signatures were accepted',
      'rejected by policy',
      'verifying signatures',
      'invalid gpg signature',
      'signature verification failed',
      'image verification failed',
      'is not signed',
    ],
  },
  {
    // The node's signature policy itself is missing or unreadable (containers-policy.json(5)): CRI-O checks
    // it before every pull, so no image can be pulled until it is fixed.
    id: 'runtime.signature-policy-config',
    cause: 'signature_policy',
    confidence: 0.8,
    any: ['policy.json', 'invalid policy in', 'signature policy'],
    // An absolute path (`open /etc/containers/policy.json: …`), never a repository that happens to be named so.
    pattern: /invalid policy in|signature policy|(?:^|[\s"'(])\/[^\s"']*\/policy\.json\b/,
  },
  {
    id: 'node.disk-full',
    cause: 'disk_full',
    confidence: 0.95,
    any: ['no space left on device', 'disk quota exceeded', 'enospc'],
    back: ['write ', 'open ', 'mkdir '],
  },

  {
    // The node's disk failed a write while a layer was stored or unpacked (EIO): like a full disk, the fix is
    // on the node, and pulling again does not help. Only writes count; a read error is left to other rules.
    id: 'node.disk-io-error',
    cause: 'disk_full',
    confidence: 0.6,
    any: ['input/output error'],
    pattern: /\bwrite [^\n]*?: input\/output error/,
    back: ['write '],
  },
  {
    // kubelet could not reach its own runtime (`dial unix /run/containerd/containerd.sock: connect: connection
    // refused`): a node problem no cause id names, and never a registry one; kept out of the network rules.
    id: 'node.runtime-unreachable',
    cause: 'unknown',
    confidence: 0.7,
    any: ['dial unix', 'containerd.sock', 'crio.sock', 'dockershim.sock', 'docker.sock'],
  },
  {
    // A limit the runtime puts on its own metadata (containerd's `info.Labels: label key and value greater than
    // maximum size (4096 bytes)`, hit when an image has very many layers). It surfaces inside `failed to prepare
    // extraction snapshot`, but nothing is corrupt and pulling again fails the same way; no cause id names a
    // runtime limit, so it stays unknown rather than sending anyone to clear the content store.
    id: 'node.runtime-limit',
    cause: 'unknown',
    confidence: 0.6,
    any: ['greater than maximum size'],
    back: ['info.labels: ', 'label '],
  },

  // ── the innermost transport failure ─────────────────────────────────────────────────────────────────
  {
    // Before DNS/refused/TLS: `proxyconnect tcp: dial tcp: lookup proxy…` is a proxy problem first.
    id: 'net.proxy',
    cause: 'proxy',
    confidence: 0.9,
    // `proxyconnect tcp: …` (Go ≥ 1.10), `http: error connecting to proxy …` (older Go), `socks connect …`.
    any: ['proxyconnect', 'proxy authentication required', 'error connecting to proxy', 'socks connect'],
  },
  {
    // A proxy that refused the CONNECT: Go's transport returns the proxy's status text alone as the error
    // (`Get "https://registry.k8s.io/v2/": Bad Gateway`, `…: Forbidden` from a proxy ACL). A registry's own
    // status always comes with its code (`received unexpected HTTP status: 502 Bad Gateway`), so bare text
    // straight after the URL, ending the clause, is the proxy speaking.
    id: 'net.proxy-connect-status',
    cause: 'proxy',
    confidence: 0.75,
    // Any reason phrase a proxy gives a refused CONNECT, standard or its own spelling (`authenticationrequired`).
    any: [
      'bad gateway',
      'service unavailable',
      'gateway timeout',
      'forbidden',
      'internal server error',
      'bad request',
      'not implemented',
      'authentication required',
      'authenticationrequired',
      'method not allowed',
      'not acceptable',
      'http version not supported',
      'request header fields too large',
      // tinyproxy's phrase for a CONNECT its ACL refuses (403).
      'access denied',
    ],
    pattern:
      /https?:\/\/[^\s"]+"?: (?:bad gateway|service unavailable|gateway timeout|forbidden|internal server error|bad request|not implemented|(?:proxy |network )?authentication ?required|method not allowed|not acceptable|http version not supported|request header fields too large|access denied)(?=\s*$|["\n)\]])/m,
  },
  {
    // Any failure inside `lookup <host>` (no such host, timeout, refused by the resolver) is DNS.
    id: 'net.dns-lookup',
    cause: 'dns',
    confidence: 0.9,
    any: ['lookup '],
    pattern: /\blookup [^\s:"]+(?: on [^\s"]+)?: /,
  },
  {
    id: 'net.dns',
    cause: 'dns',
    confidence: 0.85,
    any: [
      'no such host',
      'server misbehaving',
      'name resolution',
      'name or service not known',
      'nodename nor servname',
      'no address associated with hostname',
    ],
    back: NET_ANCHORS,
  },
  {
    id: 'net.unreachable',
    cause: 'network_unreachable',
    confidence: 0.9,
    any: [
      'no route to host',
      'network is unreachable',
      'host is unreachable',
      'ehostunreach',
      'enetunreach',
      // No source address for that family (an IPv6 registry address on an IPv4-only node): EADDRNOTAVAIL.
      'cannot assign requested address',
      // Windows (connectex): WSAENETUNREACH / WSAEHOSTUNREACH.
      'attempted to an unreachable',
    ],
    back: NET_ANCHORS,
  },
  {
    id: 'net.refused',
    cause: 'connection_refused',
    confidence: 0.9,
    // `actively refused it`: Windows' WSAECONNREFUSED text (connectex).
    any: ['connection refused', 'econnrefused', 'actively refused'],
    back: NET_ANCHORS,
  },
  {
    // Go's transport timeouts: no answer came back (`dial tcp …: i/o timeout`, `Client.Timeout exceeded`).
    id: 'net.timeout',
    cause: 'timeout',
    confidence: 0.85,
    any: [
      'i/o timeout',
      'timed out',
      'timeout exceeded',
      'timeout awaiting',
      'etimedout',
      '408 request timeout',
      // Windows' WSAETIMEDOUT text (connectex).
      'did not properly respond after a period of time',
      'failed to respond',
    ],
    back: NET_ANCHORS,
  },
  {
    // A handshake that never completes is a network timeout, not a certificate problem.
    id: 'net.tls-handshake-timeout',
    cause: 'timeout',
    confidence: 0.85,
    any: ['tls handshake timeout'],
    back: ['net/http: '],
  },
  {
    // TLS spoken to a plain-HTTP registry (or the reverse).
    id: 'registry.http-vs-https',
    cause: 'http_vs_https',
    confidence: 0.95,
    any: [
      'server gave http response to https client',
      'http request to an https server',
      'first record does not look like a tls handshake',
      'oversized record received',
      'malformed http response',
    ],
  },
  {
    id: 'registry.tls',
    cause: 'tls',
    confidence: 0.9,
    any: [
      'x509: ',
      'tls: ',
      'certificate has expired',
      'certificate signed by',
      'certificate is valid for',
      'certificate is not valid',
      'certificate verify failed',
      'unknown certificate authority',
      'bad certificate',
      'ssl routines',
      'handshake failure',
    ],
  },

  // ── what the registry answered ──────────────────────────────────────────────────────────────────────
  {
    // Docker Hub's `toomanyrequests`, ECR's `Rate exceeded`, any 429; also kubelet's own pull QPS limit.
    id: 'registry.rate-limit',
    cause: 'rate_limited',
    confidence: 0.95,
    any: ['toomanyrequests', 'too many requests', 'rate limit', 'rate exceeded', 'pull qps exceeded', '429'],
    back: STATUS_ANCHORS,
    pattern: new RegExp(
      `toomanyrequests|too many requests|rate limit|rate exceeded|pull qps exceeded|${STATUS(429)}`,
    ),
  },
  {
    // The registry's blob store (S3, GCS) refused the pre-signed URL the registry itself redirected to: the
    // signature is the registry's, so every client fails the same way, whatever status (usually 403) carries it.
    // Before the permission rules, which would read that 403 as the caller's missing permission.
    id: 'registry.storage-signature',
    cause: 'registry_server_error',
    confidence: 0.7,
    any: ['signaturedoesnotmatch', 'the request signature we calculated does not match'],
  },
  {
    // Expired ECR tokens are answered 403 with this text: the credentials were accepted once.
    id: 'auth.ecr-token-expired',
    cause: 'forbidden',
    confidence: 0.95,
    any: ['authorization token has expired'],
    back: ['denied: '],
  },
  {
    // The registry says no credentials reached it (Artifact Registry's `Unauthenticated request`, GHCR's
    // `denied: unauthenticated: …`): the fix is credentials, not a role, whatever status carried it. After
    // the rate-limit rule, whose Docker Hub text speaks of an `unauthenticated pull rate limit`.
    id: 'auth.unauthenticated',
    cause: 'unauthorized',
    confidence: 0.9,
    any: [
      'unauthenticated request',
      'unauthenticated:',
      'cannot be authenticated',
      'not authenticated',
      // The registry names the caller anonymous (OCIR `Anonymous users are only allowed read access on public
      // repos`): no credentials were sent. Not containerd's `failed to fetch anonymous token`, left to later rules.
      'anonymous user',
      'anonymous access',
      'anonymous pull',
    ],
    pattern:
      /unauthenticated request|unauthenticated:|cannot be authenticated|not authenticated|anonymous (?:users?|access|pulls?)\b[^\n]{0,60}?(?:only allowed|not allowed|not permitted|denied|forbidden|requires?|must)/,
    back: ['denied: '],
  },
  {
    id: 'auth.iam-denied',
    cause: 'forbidden',
    confidence: 0.95,
    any: [
      'is not authorized to perform',
      'no identity-based policy allows',
      'no resource-based policy allows',
    ],
    back: ['denied: '],
  },
  {
    // GCR / Artifact Registry `denied: Permission "artifactregistry.repositories.downloadArtifacts" denied`,
    // GHCR `denied: permission_denied: …`.
    id: 'auth.permission-denied',
    cause: 'forbidden',
    confidence: 0.9,
    any: [
      'denied: permission',
      'permission denied for "',
      'artifactregistry.',
      'does not have permission',
      // Huawei SWR and others: `you do not have the permission` (a known account without the right).
      'do not have the permission',
      'do not have permission',
      'have no permission',
      'token exchange failed',
    ],
  },
  {
    // ACR network rules: `client with IP '…' is not allowed access`.
    id: 'auth.network-rule',
    cause: 'forbidden',
    confidence: 0.9,
    any: ['is not allowed access', 'client with ip'],
  },
  {
    // Harbor's vulnerability gate refuses the pull on policy, whatever the credentials.
    id: 'auth.registry-policy',
    cause: 'forbidden',
    confidence: 0.8,
    any: ['cannot be pulled due to configured policy', 'prevent images with vulnerability'],
  },
  {
    // The registry asked for Basic credentials and the node had none for it: whatever wrapper says the
    // repository "may not exist" (containerd's `pull access denied, repository does not exist or may require
    // authorization: authorization failed: no basic auth credentials`), the fix is credentials. Ahead of the
    // ambiguous denials.
    id: 'auth.no-credentials',
    cause: 'unauthorized',
    confidence: 0.9,
    any: ['no basic auth credentials'],
  },
  {
    // Docker Hub (and the DENIED code everywhere) answer the same for a missing and a private repository.
    id: 'registry.not-found-or-denied',
    cause: 'repo_not_found_or_denied',
    confidence: 0.9,
    any: [
      'pull access denied',
      'may require authorization',
      "may require 'docker login'",
      'does not exist or no pull access',
      'insufficient_scope',
      'requested access to the resource is denied',
    ],
  },
  {
    // An anonymous token refused with 401 (GHCR, Quay): the repository is private or does not exist.
    id: 'registry.anonymous-token-401',
    cause: 'repo_not_found_or_denied',
    confidence: 0.8,
    any: ['anonymous token'],
    pattern: new RegExp(`anonymous token[^\\n]*?${STATUS(401)}`),
  },
  {
    // A bare DENIED code with no message (GHCR: `…/manifests/latest": denied`).
    id: 'registry.bare-denied',
    cause: 'repo_not_found_or_denied',
    confidence: 0.6,
    any: ['denied'],
    pattern: /(?:^|[:"] )denied\s*$/m,
  },
  {
    id: 'auth.http-403',
    cause: 'forbidden',
    confidence: 0.85,
    any: ['403'],
    pattern: new RegExp(STATUS(403)),
    back: STATUS_ANCHORS,
  },
  {
    id: 'auth.unauthorized',
    cause: 'unauthorized',
    confidence: 0.9,
    any: [
      'unauthorized',
      'authentication required',
      'no basic auth credentials',
      'basic: access denied',
      'incorrect username or password',
      'invalid username',
      'credentials are not valid',
      'not authorized',
      'may not login',
      'authorization failed',
      // distribution's token check: the bearer token presented does not cover this repository.
      'does not match bearer token',
    ],
    back: ['denied: ', ...STATUS_ANCHORS],
  },
  {
    // A 401 with no word for it (`error parsing HTTP 401 response body`).
    id: 'auth.http-401',
    cause: 'unauthorized',
    confidence: 0.8,
    any: ['401'],
    pattern: new RegExp(STATUS(401)),
    back: STATUS_ANCHORS,
  },
  {
    // The token endpoint answered 400 to the credentials we sent (GitLab, GCR with a bad key).
    id: 'auth.oauth-token-400',
    cause: 'unauthorized',
    confidence: 0.6,
    any: ['oauth token'],
    pattern: new RegExp(`oauth token[^\\n]*?${STATUS(400)}`),
  },
  {
    id: 'auth.denied',
    cause: 'forbidden',
    confidence: 0.7,
    any: ['denied: ', 'forbidden'],
  },
  {
    id: 'availability.platform',
    cause: 'platform_mismatch',
    confidence: 0.95,
    any: [
      'no match for platform',
      'no match for current platform',
      'no matching manifest for',
      'no image found in manifest list',
      'no image found in image index',
      'does not match the specified platform',
      'cannot be used on this platform',
      'does not match the host operating system',
      'architecture mismatch',
    ],
  },
  {
    // The image exists only in a format this runtime no longer (or never) reads: schema-1 manifests (Docker
    // ≥ 26 `[DEPRECATION NOTICE] … schema 1 support is disabled`, containerd ≥ 2.0), or a v2s2 manifest naming a
    // layer type containers/image rejects. No cause id names a retired format; like a missing platform, the
    // fix is to republish the image in a form the node can use, so the cause is platform_mismatch.
    id: 'availability.unsupported-format',
    cause: 'platform_mismatch',
    confidence: 0.8,
    any: [
      'schema 1 support',
      'schema 1 images',
      'manifest.v1+prettyjws',
      'no longer supported since containerd',
      'unsupported docker v2s2 media type',
    ],
    pattern:
      /schema 1 (?:support|images)|manifest\.v1\+prettyjws"? (?:is no longer supported|not supported)|no longer supported since containerd|unsupported docker v2s2 media type/,
    back: ['[deprecation notice]', 'not implemented: ', 'application/vnd.'],
  },
  {
    // Local content store damage and interrupted or mangled downloads; before "not found" because
    // containerd reports a missing local blob as `content digest sha256:…: not found`.
    id: 'node.content',
    cause: 'corrupt_or_interrupted',
    confidence: 0.85,
    any: [
      'content digest',
      'failed commit on ref',
      'unexpected commit digest',
      'failed size validation',
      'size mismatch',
      'digest mismatch',
      'digest did not match',
      'layer verification failed',
      'config verification failed',
      'extraction snapshot',
      'failed to prepare extraction',
      'parent snapshot',
      'missing parent',
      'failed to register layer',
      'wrong diff id',
      'invalid tar header',
      'gzip: invalid',
      'flate: corrupt',
      'zlib: invalid',
      'failed to read expected number of bytes',
      'unexpected eof',
      'connection reset by peer',
      'broken pipe',
      'stream error',
      'server sent goaway',
      'client connection lost',
      'use of closed network connection',
      'mismatched image rootfs',
      'layers from manifest',
      'manifest verification failed',
    ],
    back: NET_ANCHORS,
  },
  {
    // Content that does not hash to the digest it was fetched by (`Manifest does not match provided manifest
    // digest sha256:…`, `digest … doesn't match`): corrupt in transit or in the store.
    id: 'node.digest-mismatch',
    cause: 'corrupt_or_interrupted',
    confidence: 0.8,
    any: ['digest'],
    pattern:
      /(?:does not|doesn't|did not) match[^\n]{0,40}\bdigest|\bdigest[^\n]{0,40}(?:does not|doesn't|did not) match/,
  },
  {
    // The registry listed a blob it cannot serve: the registry's storage is inconsistent.
    id: 'registry.blob-missing',
    cause: 'registry_server_error',
    confidence: 0.75,
    // Also a plain 404 on a blob the manifest names (`Error fetching blob: invalid status code from registry 404`).
    any: [
      'blob unknown',
      'blob_unknown',
      'unknown blob',
      'from remote: not found',
      'content at ',
      'fetching blob',
      '/blobs/',
    ],
    pattern:
      /blob[ _]unknown|unknown blob|from remote: not found|content at [^\n]{1,400}? not found|fetching blob[^\n]*?\b404\b|\/blobs\/[^\s"]*"?: 404\b/,
  },
  {
    // An HTML page where registry content belongs (`unexpected media type text/html for sha256:…`): a web
    // front end, captive portal or misconfigured mirror answered instead of the registry API. Before the
    // generic "not found" that containerd appends to it.
    id: 'registry.html-page',
    cause: 'registry_server_error',
    confidence: 0.7,
    any: ['text/html'],
    pattern: /(?:media|content)[ -]type:? "?text\/html/,
    back: ['unexpected media type'],
  },
  {
    // A JSON decoder handed an HTML page (`invalid character '<' looking for beginning of value`): a web server,
    // portal or misconfigured repository manager answered where the registry API's JSON belongs. A status
    // given with it (`error parsing HTTP 403 response body: …`) is read first by the rules above.
    id: 'registry.html-body',
    cause: 'registry_server_error',
    confidence: 0.6,
    any: ["invalid character '<'"],
    pattern: /invalid character '<' looking for beginning of value/,
  },
  {
    // The registry answered a manifest request without the digest the protocol requires (containerd's
    // `could not resolve digest for …`): a registry-side defect, not a missing image or a credential problem.
    id: 'registry.no-digest',
    cause: 'registry_server_error',
    confidence: 0.6,
    any: ['could not resolve digest'],
  },
  {
    id: 'availability.repo',
    cause: 'repo_not_found',
    confidence: 0.9,
    any: [
      'name unknown',
      'name_unknown',
      'repository name not known',
      'does not exist in the registry',
      'project ',
      'repository ',
    ],
    pattern:
      /name[ _]unknown|repository name not known|does not exist in the registry|\bproject [^\s]+ not found|\brepository (?:[^\s]+ )?(?:not found|does not exist)/,
  },
  {
    id: 'availability.tag',
    cause: 'tag_not_found',
    confidence: 0.9,
    any: [
      'manifest unknown',
      'manifest_unknown',
      'manifest for ',
      'requested image not found',
      'manifest tagged by',
      'was deleted or has expired',
      'artifact ',
      'tag ',
      // GCR's answer to Docker 1.x's v1 fallback once the v2 lookup found nothing (405 v1 Registry API is disabled).
      'v2 image could not be found',
    ],
    pattern:
      /manifest[ _]unknown|manifest for [^\s]+ not found|requested image not found|manifest tagged by "[^"]*" is not found|was deleted or has expired|\bartifact [^\s]+ not found|\btag [^\s]+ not found|v2 image could not be found/,
  },

  // ── generic wrappers: only when nothing more specific was said ──────────────────────────────────────
  {
    // A real 5xx from the registry; docker's own `API error (500)` / `(HTTP code 500)` wrapper is not one.
    id: 'registry.5xx',
    cause: 'registry_server_error',
    confidence: 0.8,
    any: [
      'internal server error',
      'bad gateway',
      'service unavailable',
      'service temporarily unavailable',
      'gateway timeout',
      'gateway time-out',
      'unexpected http status: 5',
      'unavailable: ',
      'status code 5',
      'response body',
    ],
    back: STATUS_ANCHORS,
    pattern:
      /internal server error|bad gateway|service (?:temporarily )?unavailable|gateway time-?out|unexpected http status: 5\d\d|(?:^|\n|: )unavailable: |status code 5\d\d|error parsing http 5\d\d response/,
  },
  {
    // Cancellation wrappers: the pull outlived its deadline (kubelet's runtime timeout, no progress).
    id: 'net.deadline',
    cause: 'timeout',
    confidence: 0.6,
    any: [
      'deadline exceeded',
      'deadlineexceeded',
      'context canceled',
      'code = canceled',
      'request canceled',
      'because of no progress',
    ],
    back: ['context '],
  },
  {
    // A connection closed mid-response: `Get "https://…/data?…": EOF`.
    id: 'net.eof',
    cause: 'corrupt_or_interrupted',
    confidence: 0.6,
    any: ['eof'],
    pattern: /: eof\b/,
    back: ['failed to do request', 'failed open'],
  },
  {
    // containerd's `failed to resolve reference "x": x: not found` and gRPC NotFound: the manifest is missing.
    id: 'availability.not-found',
    cause: 'tag_not_found',
    confidence: 0.7,
    any: ['not found', 'code = notfound', '404'],
    pattern: new RegExp(`not found|code = notfound|${STATUS(404)}`),
    last: true,
    back: ['": '],
  },
  {
    // CRI-O's RegistryUnavailable with no further detail.
    id: 'registry.unavailable',
    cause: 'registry_server_error',
    confidence: 0.5,
    // Also old Docker's `Could not reach any registry endpoint` (every endpoint failed, none said why).
    any: [
      'registryunavailable',
      'registry is unavailable',
      // kubelet ≤ 1.5 (dockershim) after a 502/503/504: `image pull failed for x because the registry is
      // temporarily unavailable`.
      'registry is temporarily unavailable',
      'could not reach any registry endpoint',
    ],
  },
  {
    // Old kubelet/docker: the pull "failed" with no reason at all.
    id: 'kubelet.no-cause',
    cause: 'none',
    confidence: 0.5,
    any: ['image pull failed for unknown error'],
  },
];
