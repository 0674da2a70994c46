// Push to live with a registry per tenant: the build and the pulls use the
// tenant's own Harbor robot (a fake Harbor shaped by its API), on the real
// control plane.
import { FakeHarbor } from '@dangus/api/test-support/fake-harbor';
import { createProject, createService, maybe, push, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

describe('push to live with a registry per tenant', () => {
  let harbor: FakeHarbor;
  let world: PipelineWorld;

  beforeAll(async () => {
    harbor = new FakeHarbor();
    await harbor.start();
    world = await startWorld({ HARBOR_URL: harbor.url, HARBOR_ADMIN_USERNAME: harbor.admin.username, HARBOR_ADMIN_PASSWORD: harbor.admin.password });
  });
  afterAll(async () => {
    await world.close();
    await harbor.stop();
  });

  const authOf = (dockerConfig: string | undefined) =>
    (JSON.parse(Buffer.from(dockerConfig ?? '', 'base64').toString()) as { auths: Record<string, { auth: string }> }).auths['harbor.local']?.auth;

  it("builds with the tenant's robot, pushes into the tenant's Harbor project, and pulls with the tenant's own Secret", async () => {
    const project = await createProject(world, 'isolated');
    const service = await createService(world, project.id, 'web');
    const commit = sha();
    world.pods.set(commit, { log: 'built\n', runDuration: '3s' });
    const id = String((await push(world, service, commit)).body.deploymentId);
    await waitForStatus(world, id, 'building');

    const harborProject = `dangus-${project.namespace}`;
    const robots = [...harbor.robots.values()].filter((r) => r.project === harborProject);
    expect(robots).toHaveLength(1);
    const robotAuth = Buffer.from(`${robots[0]?.name ?? ''}:${robots[0]?.secret ?? ''}`).toString('base64');

    const jobName = `web-build-${commit.slice(0, 7)}`;
    const job = await world.batch.readNamespacedJob({ namespace: project.namespace, name: jobName });
    const env = job.spec?.template.spec?.containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'DANGUS_DESTINATION')?.value).toBe(`harbor.local/${harborProject}/web:${commit}`);
    expect(env.find((e) => e.name === 'DANGUS_CACHE_REPO')?.value).toBe(`harbor.local/${harborProject}/web/cache`);
    const buildSecret = await world.core.readNamespacedSecret({ namespace: project.namespace, name: jobName });
    expect(authOf(buildSecret.data?.['.dockerconfigjson'])).toBe(robotAuth);
    const pull = await world.core.readNamespacedSecret({ namespace: project.namespace, name: 'dangus-registry' });
    expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
    expect(authOf(pull.data?.['.dockerconfigjson'])).toBe(robotAuth);

    const live = await waitForStatus(world, id, 'live');
    expect(live.imageTag).toMatch(new RegExp(`^harbor\\.local/${harborProject}/web:${commit}@sha256:[0-9a-f]{64}$`));
    const running = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'web' });
    expect(running.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'dangus-registry' }]);
    expect(running.spec?.template.spec?.containers[0]?.image).toBe(live.imageTag);
    // The build's Secret went with the build; the pull Secret stays for the pods.
    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: jobName }))).toBeUndefined();
  });
});

describe('a registry that refuses the tenant', () => {
  let harbor: FakeHarbor;
  let world: PipelineWorld;

  beforeAll(async () => {
    harbor = new FakeHarbor();
    await harbor.start();
    // The operator's Harbor admin password is wrong: Harbor answers every request 401.
    world = await startWorld({ HARBOR_URL: harbor.url, HARBOR_ADMIN_USERNAME: harbor.admin.username, HARBOR_ADMIN_PASSWORD: 'not-the-password' });
  });
  afterAll(async () => {
    await world.close();
    await harbor.stop();
  });

  it('fails the deployment at once with the registry\'s reason, not at the build deadline', async () => {
    const project = await createProject(world, 'refused');
    const service = await createService(world, project.id, 'web');
    const id = String((await push(world, service, sha())).body.deploymentId);
    // Well inside the 10 minutes a build Job is given to start.
    const failed = await waitForStatus(world, id, 'failed', 60_000);
    expect(failed.reason).toMatch(
      new RegExp(`^the build could not get its credentials: Harbor refused to create Harbor project dangus-${project.namespace}: HTTP 401 `),
    );
    expect([...harbor.robots.values()]).toEqual([]);
  });
});
