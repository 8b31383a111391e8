import { type Cause, categoryOf } from '../../lib/classify/causes.ts';
import type { Classification } from '../../lib/classify/types.ts';

/**
 * What the classifier says of a node's failed pull of `image`, for tests that start from the node's view
 * (the diagnosis, the verdict rules). The registry host is the image's first path component.
 */
export function pullFailure(
  cause: Cause,
  image: string,
  overrides: Partial<Classification> = {},
): Classification {
  return {
    kind: 'pull_failure',
    reason: 'ErrImagePull',
    cause,
    category: categoryOf(cause),
    image,
    registry: image.split('/')[0] ?? null,
    imageText: image,
    evidence: 'failed to resolve reference',
    confidence: 0.8,
    rule: 'test',
    ...overrides,
  };
}
