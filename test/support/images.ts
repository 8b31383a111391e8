import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * Pushes images to a registry with plain HTTP calls, the way a client does: blob upload (POST, then PUT to
 * the returned Location with `&digest=`), then the manifest PUT with its exact Content-Type. Children of an
 * index are pushed (by digest) before the index.
 */

export const TYPES = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface PushTarget {
  /** `http://127.0.0.1:PORT` of a registry that accepts pushes. */
  url: string;
  /** Authorization header value, when the registry wants one. */
  authorization?: string;
}

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

async function call(target: PushTarget, method: string, url: string, body?: Buffer, contentType?: string) {
  const headers: Record<string, string> = {};
  if (target.authorization) headers.authorization = target.authorization;
  if (contentType) headers['content-type'] = contentType;
  const response = await fetch(url, { method, headers, ...(body ? { body } : {}), redirect: 'manual' });
  return response;
}

export async function pushBlob(target: PushTarget, repository: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const start = await call(target, 'POST', `${target.url}/v2/${repository}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`blob upload start: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location') ?? '', target.url);
  location.searchParams.set('digest', digest);
  const put = await call(target, 'PUT', location.toString(), data, 'application/octet-stream');
  if (put.status !== 201) throw new Error(`blob upload: ${put.status} ${await put.text()}`);
  return digest;
}

export async function putManifest(
  target: PushTarget,
  repository: string,
  reference: string,
  mediaType: string,
  body: string,
): Promise<string> {
  const response = await call(
    target,
    'PUT',
    `${target.url}/v2/${repository}/manifests/${reference}`,
    Buffer.from(body),
    mediaType,
  );
  if (response.status !== 201)
    throw new Error(`manifest PUT ${repository}:${reference}: ${response.status} ${await response.text()}`);
  return response.headers.get('docker-content-digest') ?? sha256(body);
}

export interface PushedManifest {
  digest: string;
  size: number;
  mediaType: string;
  platform: PlatformSpec;
}

/** One single-platform image (config + one layer); tagged when `tag` is given, else pushed by digest. */
export async function pushImage(
  target: PushTarget,
  repository: string,
  tag: string | null,
  options: { platform?: PlatformSpec; format?: 'docker' | 'oci' } = {},
): Promise<PushedManifest> {
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const oci = options.format === 'oci';
  const tar = Buffer.concat([
    Buffer.from(`pullwatch test layer ${repository} `),
    randomBytes(64),
    Buffer.alloc(512),
  ]);
  const layer = gzipSync(tar);
  const layerDigest = await pushBlob(target, repository, layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    }),
  );
  const configDigest = await pushBlob(target, repository, config);
  const mediaType = oci ? TYPES.ociManifest : TYPES.dockerManifest;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    config: {
      mediaType: oci ? TYPES.ociConfig : TYPES.dockerConfig,
      size: config.length,
      digest: configDigest,
    },
    layers: [
      { mediaType: oci ? TYPES.ociLayer : TYPES.dockerLayer, size: layer.length, digest: layerDigest },
    ],
  });
  const digest = await putManifest(target, repository, tag ?? sha256(manifest), mediaType, manifest);
  return { digest, size: Buffer.byteLength(manifest), mediaType, platform };
}

/** A multi-platform index (OCI index or Docker manifest list) over freshly pushed children. */
export async function pushIndex(
  target: PushTarget,
  repository: string,
  tag: string,
  platforms: PlatformSpec[],
  format: 'docker' | 'oci' = 'oci',
): Promise<string> {
  const children: PushedManifest[] = [];
  for (const platform of platforms)
    children.push(await pushImage(target, repository, null, { platform, format }));
  const mediaType = format === 'oci' ? TYPES.ociIndex : TYPES.dockerList;
  const index = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    manifests: children.map((child) => ({
      mediaType: child.mediaType,
      digest: child.digest,
      size: child.size,
      platform: child.platform,
    })),
  });
  return putManifest(target, repository, tag, mediaType, index);
}
