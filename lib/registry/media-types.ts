/** The manifest media types a pull accepts today (containerd and Docker send all four). */
export const MEDIA_TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

/** Schema 1 manifests: answered by old registries when a client omits the schema-2 types; containerd 2 refuses them. */
export const SCHEMA1_TYPES = [
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
];

/**
 * Sent with every manifest request. Registries answer by `Accept`: without the schema-2 type distribution
 * converts to schema 1 (another digest), and an OCI index asked for without its type is a 404 that looks
 * exactly like a missing tag.
 */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.dockerManifest,
  MEDIA_TYPES.dockerList,
  MEDIA_TYPES.ociManifest,
  MEDIA_TYPES.ociIndex,
].join(', ');

export type ManifestKind = 'index' | 'manifest' | 'schema1' | 'unknown';

export function manifestKind(contentType: string | undefined): ManifestKind {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === MEDIA_TYPES.dockerList || type === MEDIA_TYPES.ociIndex) return 'index';
  if (type === MEDIA_TYPES.dockerManifest || type === MEDIA_TYPES.ociManifest) return 'manifest';
  if (SCHEMA1_TYPES.includes(type)) return 'schema1';
  return 'unknown';
}
