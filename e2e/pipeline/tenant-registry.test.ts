// Push to live with a registry per tenant: the build and the pulls use the
// tenant's own Harbor robot (a fake Harbor shaped by its API), on the real
// control plane; and with one shared robot, whose credential every tenant's pods
// pull with, from a pull Secret the platform writes into each tenant namespace.
import { FakeHarbor } from '@dangus/api/test-support/fake-harbor';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createProject, createService, maybe, push, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

const run = promisify(execFile);

/** The `auth` of the registry host in a pull Secret's docker config. */
const authOf = (dockerConfig: string | undefined) =>
  (JSON.parse(Buffer.from(dockerConfig ?? '', 'base64').toString()) as { auths: Record<string, { auth: string }> }).auths['harbor.local']?.auth;

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

describe('push to live with one shared registry robot', () => {
  const robot = { username: 'robot$dangus+builder', password: 'shared-robot-secret-5c1e' };
  let world: PipelineWorld;

  beforeAll(async () => {
    world = await startWorld({ HARBOR_USERNAME: robot.username, HARBOR_PASSWORD: robot.password });
  });
  afterAll(async () => {
    await world.close();
  });

  it("writes the shared credential into each tenant's pull Secret, which its Deployment names, and nothing of it into git", async () => {
    const shared = Buffer.from(`${robot.username}:${robot.password}`).toString('base64');
    for (const name of ['staging', 'prod']) {
      const project = await createProject(world, name);
      const service = await createService(world, project.id, 'web');
      const commit = sha();
      world.pods.set(commit, { log: 'built\n', runDuration: '1s' });
      const id = String((await push(world, service, commit)).body.deploymentId);
      await waitForStatus(world, id, 'live');
      const pull = await world.core.readNamespacedSecret({ namespace: project.namespace, name: 'dangus-registry' });
      expect(pull.type).toBe('kubernetes.io/dockerconfigjson');
      expect(authOf(pull.data?.['.dockerconfigjson'])).toBe(shared);
      const running = await world.apps.readNamespacedDeployment({ namespace: project.namespace, name: 'web' });
      expect(running.spec?.template.spec?.imagePullSecrets).toEqual([{ name: 'dangus-registry' }]);
    }
    // The state repo names the Secret, never its content.
    const repo = world.platform.stateRepoDir;
    const found = await run('git', ['--git-dir', repo, 'grep', '-I', '-e', robot.password, '-e', shared, 'HEAD']).then(
      (result) => result.stdout,
      (error: unknown) => ((error as { code?: number }).code === 1 ? '' : String(error)),
    );
    expect(found).toBe('');
  });
});
