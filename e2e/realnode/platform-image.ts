/**
 * The platform's own image, built on the real node by the platform's build path (issue 31):
 * the repository at HEAD served by the test's git server as a tenant's repository is, the
 * build Job the renderer makes (templates/build-job.yaml: the same Kaniko image, arguments
 * and limits, the tenant namespace's policies around it), plus only what this build needs
 * (`--target=runtime`, a docker.io mirror, the npm mirror as a build argument). The base
 * image is made locally (node-base-image.ts) and served by the image mirror; npm's packages
 * come from the npm mirror (the machine's npm cache). Nothing is pulled from the internet.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, loadAllYaml, type KubernetesObject, type V1Job } from '@kubernetes/client-node';
import {
  buildJobName, imageRepository, parseTemplates, readTemplates, renderSettingsSchema, renderTenant, type RenderSettings, type TenantInput,
} from '@dangus/gitops-writer';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { FakeHarbor } from '@dangus/api/test-support/fake-harbor';
import { createServingCert, startCluster, type Cluster } from '../cluster/src/index.js';
import { GIT_IMAGE, KANIKO_IMAGE, NODE_IP, type RealNode } from '../cluster/src/real-node.js';
import { NODE_BASE_REPOSITORY, nodeBaseImage, nodeBaseTag } from '../cluster/src/node-base-image.js';
import { startImageMirror, type ImageMirror } from '../cluster/src/image-mirror.js';
import { startNpmMirror, type NpmMirror } from '../cluster/src/npm-mirror.js';
import { writeImageArchive } from '../cluster/src/oci-image.js';

const run = promisify(execFile);

export const REPO_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const HARBOR_PROJECT = 'dangus';
const NAMESPACE = 'pl4tfm-platform';
const SERVICE = 'api';
/** The namespace the built image runs in, and its pull secret there. */
export const RUN_NAMESPACE = 'dangus-system';
export const PULL_SECRET = 'platform-pull';

export interface PlatformImageWorld {
  cluster: Cluster;
  node: RealNode;
  kube: KubeConfig;
  core: CoreV1Api;
  batch: BatchV1Api;
  harbor: FakeHarbor;
  imageMirror: ImageMirror;
  npmMirror: NpmMirror;
  /** The commit built: HEAD of this repository. */
  commit: string;
  /** The base image's digest in the image mirror. */
  baseDigest: string;
  /** The robot that pushes (and pulls) the platform's image. */
  robot: { username: string; password: string };
  namespace: string;
  /** The rendered build Job, with this build's arguments added. */
  buildJob(name?: string): V1Job;
  close(): Promise<void>;
}

export async function startPlatformImageWorld(log: (line: string) => void): Promise<PlatformImageWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-platform-image-'));
  const cluster = await startCluster({ realNode: true, log });
  const cleanups: (() => Promise<void>)[] = [() => cluster.stop(), () => rm(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const node = cluster.realNode;
    if (!node) throw new Error('the cluster has no real node');
    const kube = new KubeConfig();
    kube.loadFromFile(cluster.kubeconfigPath);

    // Harbor: one project, one robot with push and pull, tokens from its token service.
    const harbor = new FakeHarbor();
    await harbor.start();
    cleanups.push(() => harbor.stop());
    await harbor.startTokenService(node.registryToken);
    harbor.projects.set(HARBOR_PROJECT, { repositories: new Map(), metadata: { public: 'false' } });
    const robot = { username: `robot$${HARBOR_PROJECT}+platform`, password: 'platform-robot-secret-0001' };
    harbor.robots.set(1, { id: 1, name: robot.username, secret: robot.password, project: HARBOR_PROJECT, actions: ['push', 'pull'] });

    // The source: HEAD of this repository, served over HTTPS as a public GitHub repository.
    const tls = await createServingCert(join(dir, 'git-tls'), { name: 'fake-github-git', ips: [NODE_IP] });
    await node.trustGitCa([await readFile(tls.caCert, 'utf8')]);
    const github = new FakeGitHub();
    await github.start();
    cleanups.push(() => github.stop());
    const gitOrigin = await github.startGitServer({ host: NODE_IP, cert: await readFile(tls.cert), key: await readFile(tls.key) });
    const bare = join(dir, 'repos', 'dangus', 'dangus.git');
    await mkdir(bare, { recursive: true });
    await run('git', ['init', '--quiet', '--bare', '-b', 'main', bare]);
    await run('git', ['-C', REPO_ROOT, 'push', '--quiet', bare, 'HEAD:refs/heads/main']);
    const commit = (await run('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
    github.gitRepos.set('dangus/dangus', bare);
    github.publicRepos.add('dangus/dangus');

    // docker.io: the mirror with the locally made node image.
    const certsDir = join(cluster.dataDir, 'node', 'containerd', 'certs.d');
    const imageMirror = await startImageMirror({ nodeIp: NODE_IP, dataDir: dir, certsDir });
    cleanups.push(() => imageMirror.stop());
    const base = await nodeBaseImage({ busybox: existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox' });
    const archive = join(dir, 'node-base.tar');
    await writeImageArchive(base, archive);
    const baseDigest = await imageMirror.push(archive, NODE_BASE_REPOSITORY, nodeBaseTag());
    log(`base image ${base.name} (npm ${base.npmVersion}) at ${imageMirror.host}, ${baseDigest}`);

    // npm's registry: the lock file's packages from this machine's npm cache.
    const npmMirror = await startNpmMirror({ host: NODE_IP, lockfile: join(REPO_ROOT, 'package-lock.json') });
    cleanups.push(() => npmMirror.stop());

    // The tenant's namespace, its policies and quota, and the build's secrets, as the platform makes them.
    const settings: RenderSettings = renderSettingsSchema.parse({
        baseDomain: 'apps.dangus.test',
        harborHost: node.registryHost,
        harborProject: HARBOR_PROJECT,
        gitImage: GIT_IMAGE,
        gitSourceUrl: gitOrigin,
        builderImage: KANIKO_IMAGE,
        // Builds, and only builds, reach the node IP: the git server, the registry, the mirrors.
        buildEgressCidr: `${NODE_IP}/32`,
    });
    const templates = parseTemplates(await readTemplates());
    const tenant: TenantInput = {
      project: { id: '00000000-0000-4000-8000-000000000031', name: 'platform' },
      userHash: 'pl4tfm',
      namespace: NAMESPACE,
      services: [{
        id: '00000000-0000-4000-8000-000000000131',
        name: SERVICE,
        host: 'api-pl4tfm-platform',
        repoUrl: 'https://github.com/dangus/dangus',
        branch: 'main',
        contextDir: '.',
        dockerfilePath: 'api/Dockerfile',
        watchPaths: [],
        port: 3000,
        storageGb: null,
        healthCheckPath: '/healthz',
        envRevision: `hmac-sha256:${'0f'.repeat(32)}`,
        restartedAt: null,
        replicas: 1,
        hsts: false,
        resources: null,
        image: null,
        currentDeploymentId: null,
        build: {
          deploymentId: '00000000-0000-4000-8000-000000000231',
          commitSha: commit,
          gitTokenSecretName: 'api-build',
          registrySecretName: 'api-build',
        },
      }],
    };
    const files = renderTenant(tenant, settings, templates);
    const rendered = [...files.values()].flatMap((text) => loadAllYaml(text) as KubernetesObject[]).filter((o) => o.kind);
    const objects = KubernetesObjectApi.makeApiClient(kube);
    // The namespace and what governs it (policies, quota, limits); the Job is created per build.
    for (const kind of ['Namespace', 'ResourceQuota', 'LimitRange', 'NetworkPolicy', 'ServiceAccount', 'Role', 'RoleBinding']) {
      for (const object of rendered.filter((o) => o.kind === kind)) await objects.create(object);
    }
    const job = rendered.find((o): o is V1Job => o.kind === 'Job');
    if (!job) throw new Error(`the renderer made no build Job: ${[...files.keys()].join(', ')}`);
    const core = kube.makeApiClient(CoreV1Api);
    const auth = Buffer.from(`${robot.username}:${robot.password}`).toString('base64');
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: { name: 'api-build' },
        type: 'Opaque',
        stringData: {
          'git-token': '',
          '.dockerconfigjson': JSON.stringify({ auths: { [node.registryHost]: { auth } } }),
        },
      },
    });
    // Where the platform's image runs: a namespace of the test's, pulling with the robot.
    await core.createNamespace({ body: { metadata: { name: RUN_NAMESPACE } } });
    await core.createNamespacedSecret({
      namespace: RUN_NAMESPACE,
      body: { metadata: { name: PULL_SECRET }, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': JSON.stringify({ auths: { [node.registryHost]: { auth } } }) } },
    });

    const buildJob = (name = job.metadata?.name ?? buildJobName(SERVICE, commit)): V1Job => {
      const copy = structuredClone(job);
      copy.metadata = Object.assign(copy.metadata ?? {}, { name, namespace: NAMESPACE });
      const kaniko = copy.spec?.template.spec?.containers.find((c) => c.name === 'kaniko');
      if (!kaniko) throw new Error('the build Job has no kaniko container');
      kaniko.args = [
        ...(kaniko.args ?? []),
        // api/Dockerfile's last stage; only the stages it needs (not `dev`).
        '--target=runtime',
        '--skip-unused-stages',
        // docker.io is the local mirror, and only it.
        `--registry-mirror=${imageMirror.host}`,
        '--skip-default-registry-fallback',
        `--build-arg=NPM_CONFIG_REGISTRY=${npmMirror.url}`,
      ];
      return copy;
    };

    return {
      cluster, node, kube, core, batch: kube.makeApiClient(BatchV1Api), harbor, imageMirror, npmMirror, commit, baseDigest, robot,
      namespace: NAMESPACE, buildJob, close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The repository the build pushes to (the renderer's), without tag. */
export function platformRepository(node: RealNode): string {
  return imageRepository({ harborHost: node.registryHost, harborProject: HARBOR_PROJECT, registryLayout: 'shared' }, NAMESPACE, SERVICE);
}

/** A bearer token for the node's registry from Harbor's token service, with the robot's credentials. */
export async function registryToken(node: RealNode, robot: { username: string; password: string }, scope: string): Promise<string> {
  const url = new URL(node.registryToken.realm);
  url.searchParams.set('service', node.registryToken.service);
  url.searchParams.set('scope', scope);
  const res = await fetch(url, { headers: { Authorization: `Basic ${Buffer.from(`${robot.username}:${robot.password}`).toString('base64')}` } });
  if (!res.ok) throw new Error(`token service: ${String(res.status)}`);
  return ((await res.json()) as { token: string }).token;
}
