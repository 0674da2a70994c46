// The shared-robot mode on a real node: no Harbor admin settings, one registry account for
// every tenant, on a registry that refuses anonymous pulls (distribution with htpasswd).
// Kaniko pushes with that account, and the node's containerd pulls the app's image with the
// pull Secret the platform wrote into the tenant's namespace (never into git): the app runs
// and answers through Traefik. Real PostgreSQL, git, Kubernetes, kubelet and containerd;
// GitHub is faked (support.ts).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BASE_DOMAIN, commitApp, createProject, createService, eventually, podReport, push, startRealWorld, viaIngress, waitForStatus, type RealWorld } from './support.js';

const run = promisify(execFile);
const ROBOT = { username: 'robot$dangus+builder', password: 'shared-robot-3b8f2e7c1d' };
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';

describe('push to live with one shared registry account, on a real node', () => {
  let world: RealWorld;
  let host: string;

  beforeAll(async () => {
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`), { sharedRobot: ROBOT });
    host = world.sharedRegistryHost ?? '';
  }, 600_000);
  afterAll(async () => {
    await world.close();
  }, 120_000);

  const get = (path: string, auth?: { username: string; password: string }) =>
    fetch(`http://${host}${path}`, {
      headers: { Accept: MANIFEST, ...(auth ? { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {}) },
    });

  it("builds, and the app's pod pulls its image from the private registry with the tenant's pull Secret, and runs", async () => {
    const project = await createProject(world, 'shop');
    const service = await createService(world, project.id, { name: 'web' });
    const commit = await commitApp(world, { version: 'shared-one' });
    const id = await push(world, service, commit);
    const live = await waitForStatus(world, id, 'live');

    // The image is in the shared registry, which refuses it to anyone without the account.
    const repo = `dangus/${project.namespace}/web`;
    expect(live.imageTag).toMatch(new RegExp(`^${host.replace(/\./g, '\\.')}/${repo}:${commit}@sha256:[0-9a-f]{64}$`));
    const withAccount = await get(`/v2/${repo}/manifests/${commit}`, ROBOT);
    expect(withAccount.status).toBe(200);
    const anonymous = await get(`/v2/${repo}/manifests/${commit}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Basic realm=');
    expect((await get(`/v2/${repo}/manifests/${commit}`, { username: ROBOT.username, password: 'wrong' })).status).toBe(401);

    // The tenant's pull Secret holds the shared account, and the Deployment names it.
    const secret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: 'dangus-registry' });
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from(secret.data?.['.dockerconfigjson'] ?? '', 'base64').toString()) as { auths: Record<string, { auth: string }> };
    expect(config.auths[host]?.auth).toBe(Buffer.from(`${ROBOT.username}:${ROBOT.password}`).toString('base64'));
    const deployment = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'web' });
    expect(deployment.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'dangus-registry' }]);

    // The real node's containerd pulled that image by digest, and the container runs.
    const pods = await world.core.listNamespacedPod({ namespace: project.namespace, labelSelector: 'app.kubernetes.io/name=web' });
    const running = pods.items.filter((p) => p.status?.phase === 'Running');
    expect(running).toHaveLength(1);
    expect(running[0]?.spec?.nodeName).toBe(world.node.name);
    expect(running[0]?.status?.containerStatuses?.[0]?.imageID).toContain(withAccount.headers.get('docker-content-digest') ?? 'no digest');
    expect(running[0]?.status?.containerStatuses?.[0]?.ready).toBe(true);
    const answer = await eventually('the app through Traefik', async () => {
      const res = await viaIngress(world, `${service.subdomain}.${BASE_DOMAIN}`, '/cgi-bin/app');
      return res.status === 200 ? res.body : undefined;
    }, 60_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await podReport(world)}`);
    });
    expect(answer).toContain('version=shared-one');

    // The account is in the cluster's Secret only: nothing of it in the state repo.
    const found = await run('git', ['--git-dir', world.platform.stateRepoDir, 'grep', '-I', '-F', '-e', ROBOT.password, 'HEAD']).then(
      (result) => result.stdout,
      (error: unknown) => ((error as { code?: number }).code === 1 ? '' : String(error)),
    );
    expect(found).toBe('');
  });
});
