/** Shared inputs of the writer's tests. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseTemplates } from '../../src/templates/parse-templates.js';
import { readTemplates } from '../../src/templates/read-templates.js';
import { TEMPLATE_FILES, TEMPLATE_KINDS, type TemplateSet } from '../../src/templates/template-files.js';
import type { RenderInput, RenderSettings, ServiceInput, TenantInput } from '../../src/render/types.js';
import { serviceHostFor } from '@dangus/common';
import { DEFAULT_EGRESS_DENIED_CIDRS } from '../../src/render/input-schema.js';

export const TESTDATA = new URL('../../testdata/', import.meta.url).pathname;

/** The repository's templates, with any file of `overridesDir` taking precedence. */
export async function loadTemplates(overridesDir?: string): Promise<TemplateSet> {
  const texts = await readTemplates();
  if (overridesDir !== undefined) {
    for (const kind of TEMPLATE_KINDS) {
      const path = join(overridesDir, TEMPLATE_FILES[kind].file);
      if (existsSync(path)) texts[kind] = await readFile(path, 'utf8');
    }
  }
  return parseTemplates(texts);
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

export const SETTINGS: RenderSettings = {
  baseDomain: 'apps.example.com',
  harborHost: 'harbor.example.com',
  harborProject: 'dangus',
  registryLayout: 'shared',
  storageClass: 'longhorn',
  ingressClassName: 'traefik',
  tls: { enabled: true, secretName: null },
  imagePullSecret: null,
  builderImage: 'gcr.io/kaniko-project/executor:v1.23.2',
  buildDeadlineSeconds: 1800,
  ingressControllerNamespace: 'kube-system',
  gitImage: 'alpine/git:v2.49.1',
  gitSourceUrl: 'https://github.com',
  dnsNamespace: 'kube-system',
  egressDeniedCidrs: [...DEFAULT_EGRESS_DENIED_CIDRS],
  nodeAddresses: [],
  buildEgressCidr: null,
  limitRange: { defaultCpu: '500m', defaultMemory: '512Mi', defaultRequestCpu: '50m', defaultRequestMemory: '64Mi' },
  buildAllowance: { requestsCpu: '250m', requestsMemory: '512Mi', limitsCpu: '2', limitsMemory: '2Gi' },
  flux: { namespace: 'flux-system', source: 'dangus-state' },
  quota: {
    requestsCpu: '2',
    requestsMemory: '4Gi',
    limitsCpu: '4',
    limitsMemory: '8Gi',
    pods: 20,
    persistentVolumeClaims: 10,
    requestsStorage: '50Gi',
  },
};

/** A uuid (v4 layout) made from a number, so fixtures stay readable. */
export function uuid(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-0000-4000-8000-${hex}`;
}

export const SHA_A = 'a1'.repeat(20);
export const SHA_B = 'b2'.repeat(20);

export function service(n: number, name: string, overrides: Partial<ServiceInput> = {}): ServiceInput {
  return {
    id: uuid(0x100 + n),
    name,
    // Filled in by tenant() from its owner and project, unless a test sets one.
    host: '',
    repoUrl: `https://github.com/acme/${name}`,
    branch: 'main',
    contextDir: '.',
    dockerfilePath: 'Dockerfile',
    watchPaths: [],
    port: 8080,
    storageGb: 1,
    healthCheckPath: '/healthz',
    envRevision: `hmac-sha256:${'0f'.repeat(32)}`,
    restartedAt: null,
    replicas: 1,
    hsts: false,
    resources: null,
    image: null,
    currentDeploymentId: null,
    build: null,
    ...overrides,
  };
}

export function tenant(n: number, userHash: string, project: string, services: ServiceInput[]): TenantInput {
  return {
    project: { id: uuid(n), name: project },
    userHash,
    namespace: `${userHash}-${project}`,
    services: services.map((s) => (s.host === '' ? { ...s, host: serviceHostFor(userHash, project, s.name) } : s)),
  };
}

/** A tenant whose one service is live and building its next commit: every template renders. */
export function fullTenant(n: number, userHash: string, project: string, serviceName = 'web'): TenantInput {
  const namespace = `${userHash}-${project}`;
  return tenant(n, userHash, project, [
    service(n, serviceName, {
      image: `harbor.example.com/dangus/${namespace}/${serviceName}:${SHA_A}`,
      currentDeploymentId: uuid(0x300 + n),
      build: {
        deploymentId: uuid(0x400 + n),
        commitSha: SHA_B,
        gitTokenSecretName: `${serviceName}-build`,
        registrySecretName: `${serviceName}-build`,
      },
    }),
  ]);
}

export function input(tenants: TenantInput[]): RenderInput {
  return { settings: SETTINGS, tenants };
}
