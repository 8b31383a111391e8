/** An OCI platform (`linux/amd64`, `linux/arm/v7`). */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armel: { architecture: 'arm', variant: 'v6' },
  i386: { architecture: '386' },
  i686: { architecture: '386' },
};

/** Normalises the way containerd does: aliases to Go names, arm64's default variant `v8` dropped, arm's `v7` implied. */
export function normalizePlatform(platform: Platform): Platform {
  const os = platform.os.trim().toLowerCase();
  const rawArch = platform.architecture.trim().toLowerCase();
  const alias = ARCH_ALIASES[rawArch];
  const architecture = alias?.architecture ?? rawArch;
  let variant = (platform.variant ?? alias?.variant ?? '').trim().toLowerCase();
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = '';
  if (architecture === 'arm' && variant === '') variant = 'v7';
  if (/^\d+$/.test(variant)) variant = `v${variant}`;
  return variant ? { os, architecture, variant } : { os, architecture };
}

/** `linux/arm64`, `linux/arm/v7`: throws nothing, returns null when the text is not os/arch[/variant]. */
export function parsePlatform(text: string): Platform | null {
  const parts = text.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !/^[a-z0-9_.-]+$/i.test(part)))
    return null;
  const [os = '', architecture = '', variant] = parts;
  return normalizePlatform(variant ? { os, architecture, variant } : { os, architecture });
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

/**
 * Would a node of `wanted` pull `candidate` from an index? Same OS and architecture; for arm the candidate's
 * variant may be older than the node's (a v7 node runs v6 images), otherwise variants must match when both
 * are given.
 */
export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const w = normalizePlatform(wanted);
  const c = normalizePlatform(candidate);
  if (w.os !== c.os || w.architecture !== c.architecture) return false;
  if (!w.variant || !c.variant) return true;
  if (w.architecture === 'arm') {
    return Number(c.variant.slice(1)) <= Number(w.variant.slice(1));
  }
  return w.variant === c.variant;
}

/** The platforms an index lists, without the `unknown/unknown` entries buildx adds for attestations. */
export function indexPlatforms(index: unknown): Platform[] {
  const manifests = (index as { manifests?: unknown } | null)?.manifests;
  if (!Array.isArray(manifests)) return [];
  const out: Platform[] = [];
  for (const entry of manifests) {
    const platform = (entry as { platform?: Record<string, unknown> } | null)?.platform;
    if (!platform || typeof platform.os !== 'string' || typeof platform.architecture !== 'string') continue;
    if (platform.os === 'unknown' || platform.architecture === 'unknown') continue;
    const variant = typeof platform.variant === 'string' ? platform.variant : undefined;
    out.push(
      variant
        ? { os: platform.os, architecture: platform.architecture, variant }
        : { os: platform.os, architecture: platform.architecture },
    );
  }
  return out;
}
