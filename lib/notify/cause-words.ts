import type { Cause } from '../classify/causes.ts';

/**
 * Every cause id in plain words, for people reading an alert at 3 a.m.: a short title (header, subject) and
 * one or two sentences on what it means and where to look. Keyed by `Cause`, so a new cause id does not
 * compile until it has words.
 */
export interface CauseWords {
  /** Sentence case, no trailing period; fits a Slack header after a workload name. */
  title: string;
  explanation: string;
}

export const CAUSE_WORDS: Readonly<Record<Cause, CauseWords>> = {
  tag_not_found: {
    title: 'Image tag not found',
    explanation:
      'The repository exists but has no tag or digest by this name, so no node can pull it. Usually a typo in the tag, or a tag that was never pushed or has been deleted.',
  },
  repo_not_found: {
    title: 'Image repository not found',
    explanation:
      'The registry has no repository by this name. Check the repository path and the registry host in the image reference.',
  },
  repo_not_found_or_denied: {
    title: 'Repository not found or access denied',
    explanation:
      'The registry said the repository does not exist or these credentials may not read it; some registries (Docker Hub) give one answer for both.',
  },
  platform_mismatch: {
    title: "No image for the node's platform",
    explanation:
      "The image exists but has no variant for the node's OS and architecture (for example an amd64-only image on an arm64 node).",
  },
  unauthorized: {
    title: 'Registry refused the credentials',
    explanation:
      "The registry wants credentials and the node had none that work: the pull secret is missing, wrong, for another registry, or not attached to the pod's service account.",
  },
  forbidden: {
    title: 'No permission to pull this image',
    explanation:
      'The credentials were accepted but may not pull this repository: a registry policy, an expired ECR token, or credentials for another account.',
  },
  rate_limited: {
    title: 'Registry rate limit reached',
    explanation:
      "The registry is throttling pulls (Docker Hub's anonymous limit, for example). Pulls work again later; authenticated pulls or a mirror avoid it.",
  },
  dns: {
    title: 'Registry host name does not resolve',
    explanation:
      "The node could not resolve the registry's host name: a typo in the host, a private DNS zone the node cannot see, or a DNS outage.",
  },
  connection_refused: {
    title: 'Registry refused the connection',
    explanation:
      "Nothing accepted the connection on the registry's address and port: the registry or a proxy is down, or the host or port is wrong.",
  },
  network_unreachable: {
    title: 'No network route to the registry',
    explanation:
      'The node has no route to the registry: missing NAT or egress, a firewall rule, or a missing VPC endpoint.',
  },
  timeout: {
    title: 'Registry connection timed out',
    explanation:
      'The registry did not answer in time: traffic is being dropped by a firewall, the egress path is saturated, or the registry is overloaded.',
  },
  proxy: {
    title: 'Proxy error on the way to the registry',
    explanation:
      "The HTTP(S) proxy between the node and the registry refused or failed the request. Check the proxy and the node's NO_PROXY settings.",
  },
  tls: {
    title: 'Registry TLS certificate problem',
    explanation:
      "The node does not trust the registry's TLS certificate: it is expired, self-signed, issued for another name, or signed by a CA the node does not have.",
  },
  http_vs_https: {
    title: 'HTTP/HTTPS mismatch with the registry',
    explanation:
      'The node spoke HTTPS to a registry that serves plain HTTP, or the other way round. A plain-HTTP registry has to be configured as insecure on the node.',
  },
  registry_server_error: {
    title: 'Registry server error',
    explanation:
      "The registry answered with a server error (5xx). Usually temporary; if it persists, check the registry's status or its storage backend.",
  },
  invalid_reference: {
    title: 'Invalid image reference',
    explanation:
      'The image in the pod spec is not a valid reference: bad characters, an uppercase repository name, or a malformed tag or digest. Nothing was pulled.',
  },
  never_pull_policy: {
    title: 'Image missing and pull policy is Never',
    explanation:
      'imagePullPolicy is Never and the image is not on the node, so kubelet will not pull it. Pre-load the image or change the policy.',
  },
  signature_policy: {
    title: 'Image rejected by the signature policy',
    explanation:
      "The node's image verification policy rejected this image: it is unsigned or signed by a key the policy does not trust.",
  },
  disk_full: {
    title: 'Node disk full',
    explanation:
      'The node ran out of disk space while downloading or unpacking the image. Free space on the node (image garbage collection) or move the pod.',
  },
  corrupt_or_interrupted: {
    title: 'Pull interrupted or layer corrupt',
    explanation:
      'A layer download was cut off or did not match its digest. Often temporary; repeated failures point to a proxy or a damaged blob in the registry.',
  },
  unknown: {
    title: 'Image pull failed',
    explanation:
      'The pull failed with an error pullwatch does not recognise; the kubelet message below has the details.',
  },
  none: {
    title: 'Image pull backing off',
    explanation:
      'Kubernetes reports that pulling this image keeps failing and is backing off, but gave no reason; the first failure message was not seen.',
  },
};

export function causeWords(cause: Cause): CauseWords {
  return CAUSE_WORDS[cause];
}
