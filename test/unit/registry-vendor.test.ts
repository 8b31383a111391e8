import { describe, expect, it } from 'vitest';
import { vendorAccessSteps } from '../../lib/diagnose/vendor-remediation.ts';
import { artifactRegistryRepository, registryVendor } from '../../lib/registry/vendor.ts';

describe('registryVendor', () => {
  it.each([
    ['docker.io', 'dockerhub'],
    ['registry-1.docker.io', 'dockerhub'],
    ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'ecr'],
    ['123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com', 'ecr'],
    ['123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', 'ecr'],
    ['public.ecr.aws', 'ecr-public'],
    ['us-docker.pkg.dev', 'gar'],
    ['europe-west2-docker.pkg.dev:443', 'gar'],
    ['gcr.io', 'gcr'],
    ['eu.gcr.io', 'gcr'],
    ['contoso.azurecr.io', 'acr'],
    ['GHCR.IO', 'ghcr'],
    ['quay.io', 'quay'],
    ['registry.gitlab.com', 'gitlab'],
  ])('%s → %s', (host, kind) => {
    expect(registryVendor(host)?.kind).toBe(kind);
  });

  it('does not guess for look-alikes and private registries', () => {
    for (const host of [
      'registry.example.com',
      'ecr.example.com',
      '12345.dkr.ecr.eu-west-1.amazonaws.com',
      'docker.pkg.dev',
      'evil-ghcr.io',
      'azurecr.io.example.com',
      'localhost:5000',
    ]) {
      expect(registryVendor(host)).toBeNull();
    }
  });

  it('reads the ECR account and region, the GAR location and the ACR name', () => {
    expect(registryVendor('123456789012.dkr.ecr.eu-west-1.amazonaws.com')).toEqual({
      kind: 'ecr',
      registryId: '123456789012',
      region: 'eu-west-1',
    });
    expect(registryVendor('asia-east1-docker.pkg.dev')).toEqual({ kind: 'gar', location: 'asia-east1' });
    expect(registryVendor('contoso.azurecr.io')).toEqual({ kind: 'acr', name: 'contoso' });
  });
});

describe('artifactRegistryRepository', () => {
  it('GAR: LOCATION-docker.pkg.dev/PROJECT/REPOSITORY/IMAGE', () => {
    expect(artifactRegistryRepository('us-docker.pkg.dev', 'acme/apps/team/api')).toEqual({
      project: 'acme',
      location: 'us',
      repository: 'apps',
    });
  });

  it('gcr.io: the repository is named after the host, in its multi-region', () => {
    expect(artifactRegistryRepository('eu.gcr.io', 'acme/api')).toEqual({
      project: 'acme',
      location: 'europe',
      repository: 'eu.gcr.io',
    });
  });

  it('a path too short to name a repository, or another registry → null', () => {
    expect(artifactRegistryRepository('us-docker.pkg.dev', 'acme/api')).toBeNull();
    expect(artifactRegistryRepository('gcr.io', 'api')).toBeNull();
    expect(artifactRegistryRepository('quay.io', 'acme/apps/api')).toBeNull();
  });
});

describe('vendorAccessSteps', () => {
  const image = (registry: string, repository: string) => ({
    registry,
    repository,
    tag: 'v1',
    digest: null,
    full: `${registry}/${repository}:v1`,
  });

  it('only for access failures on a known cloud registry', () => {
    expect(vendorAccessSteps('tag_not_found', image('us-docker.pkg.dev', 'a/b/c'))).toEqual([]);
    expect(vendorAccessSteps('forbidden', image('registry.example.com', 'a/b'))).toEqual([]);
    expect(vendorAccessSteps('forbidden', null)).toEqual([]);
  });

  it('gcr.io: grant the reader role on the gcr.io repository in its multi-region', () => {
    const [grant] = vendorAccessSteps('repo_not_found_or_denied', image('gcr.io', 'acme/api'));
    expect(grant?.command).toBe(
      'gcloud artifacts repositories add-iam-policy-binding gcr.io --project=acme --location=us --member=serviceAccount:<node-service-account> --role=roles/artifactregistry.reader',
    );
  });

  it('ECR forbidden mentions the repository policy for cross-account pulls', () => {
    const [role] = vendorAccessSteps(
      'forbidden',
      image('123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'team/api'),
    );
    expect(role?.title).toMatch(/repository policy/);
    expect(role?.command).toContain('AmazonEC2ContainerRegistryReadOnly');
  });
});
