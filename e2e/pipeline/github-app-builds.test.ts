/**
 * Builds through the GitHub App on the real control plane (issue 29): a push on the App's
 * webhook builds, the build's fetch step gets an installation token for that one repository
 * (`contents: read`; the fake refuses it for another), never the user's; the build reports
 * back as a Check Run and a GitHub Deployment; a repository removed from the installation,
 * or an uninstalled App, makes the service say so and refuses its builds with that reason.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import type { ServiceDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { connect, post } from '@dangus/api/test-support/github-app-flow';
import type { FakeApp, FakeInstallation, FakeRepository } from '@dangus/api/test-support/fake-github-app';
import { createProject, createService, eventually, maybe, push, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

const exec = promisify(execFile);

describe('builds through the GitHub App on the real control plane', () => {
  let world: PipelineWorld;
  let app: FakeApp;
  let repo: FakeRepository;
  let other: FakeRepository;
  let installation: FakeInstallation;
  let project: { id: string; namespace: string };
  let service: ServiceDto & { repo: string };

  beforeAll(async () => {
    world = await startWorld({ ADMIN_GITHUB_USERS: 'root' });
    const admin = await world.platform.signIn('root', 1);
    app = await connect(world.platform, admin);
    repo = world.platform.github.app.addRepository(`${world.login}/web`);
    other = world.platform.github.app.addRepository(`${world.login}/other`);
    const installed = world.platform.github.app.install(app, { login: world.login, id: 4242, type: 'User' }, [repo, other]);
    installation = installed.installation;
    await post(world.platform, installed.delivery).expect(200);
    // Signed in again through the App: the user's own App token shows GitHub they read the repository (the service is bound).
    await world.platform.signIn(world.login, world.githubId);
    project = await createProject(world, 'appshop');
    service = await createService(world, project.id, 'web');
  });
  afterAll(async () => {
    await world.close();
  });

  const deliveredBuild = async (serviceId: string): Promise<string> => {
    const res = await request(world.platform.app).get(`/api/services/${serviceId}/webhook-deliveries`).set({ Cookie: world.cookie }).expect(200);
    const id = (res.body as { deploymentId: string | null }[])[0]?.deploymentId;
    if (!id) throw new Error('the push built nothing');
    return id;
  };

  it('a push builds with a token for that one repository, and reports a Check Run and a Deployment', async () => {
    const commit = sha();
    world.pods.set(commit, { log: 'INFO Pushed image\n', runDuration: '2s' });
    await post(world.platform, world.platform.github.app.push(app, repo, { ref: 'refs/heads/main', after: commit, message: 'Ship it' })).expect(200);
    const id = await deliveredBuild(service.id);

    // The fetch step's token, as the cluster holds it in the build's Secret.
    const jobName = `web-build-${commit.slice(0, 7)}`;
    const secret = await eventually('the build Secret', () => maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: jobName })));
    const token = Buffer.from(secret.data?.['git-token'] ?? '', 'base64').toString();
    expect(token).toMatch(/^ghs_/);
    const fake = world.platform.github.app;
    expect(fake.tokenRequests.find((r) => r.permissions?.contents === 'read' && r.status === 201)).toMatchObject({
      repositoryIds: [repo.id],
      permissions: { contents: 'read' },
    });
    expect(fake.gitAccess(token, repo.owner + '/' + repo.name)).toBe(200);
    // The same installation holds the other repository: the token still cannot read it.
    expect(fake.gitAccess(token, other.owner + '/' + other.name)).toBe(404);
    // No user token of the owner reaches the build (its OAuth token was deleted when the App came).
    expect(world.platform.github.tokensOf(world.login)).not.toContain(token);

    await waitForStatus(world, id, 'live');
    // Never stored: not in any row of the deployment, nor in the state repo's history.
    const rows = await world.platform.db.query<{ row: string }[]>(`SELECT row_to_json(d)::text AS row FROM deployments d WHERE service_id = $1`, [service.id]);
    for (const { row } of rows) expect(row).not.toContain(token);
    const { stdout } = await exec('git', ['-C', world.platform.stateRepoDir, 'log', '--all', '-p', '--format=%H']);
    expect(stdout).toContain(jobName);
    expect(stdout).not.toContain(token);

    // Reported back: the Check Run through its states, the Deployment's statuses, with the links.
    const run = await eventually('the completed Check Run', () => {
      const found = fake.reports.checkRunsOf(commit)[0];
      return Promise.resolve(found?.status === 'completed' ? found : undefined);
    });
    expect(run).toMatchObject({ name: 'Dangus Cloud', conclusion: 'success', externalId: id, detailsUrl: `${ORIGIN}/services/${service.id}/deployments/${id}` });
    expect(run.history).toEqual(['queued', 'in_progress', 'completed:success']);
    const deployment = await eventually('the successful Deployment', () => {
      const found = fake.reports.deployments.find((d) => d.ref === commit);
      return Promise.resolve(found?.statuses.some((s) => s.state === 'success') ? found : undefined);
    });
    expect(deployment).toMatchObject({ environment: 'web', repo: `${world.login}/web` });
    expect(deployment.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(deployment.statuses[1]?.environmentUrl).toBe(service.publicUrl);
  });

  it('"Deploy now" resolves the branch head with a token for the one repository', async () => {
    const head = sha();
    const fake = world.platform.github.app;
    world.platform.github.branches.set(`${service.repo}#main`, { sha: head, message: 'Deploy me' });
    world.pods.set(head, { log: 'built\n', runDuration: '1s' });
    const asked = fake.tokenRequests.length;
    const res = await request(world.platform.app).post(`/api/services/${service.id}/deploy`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({}).expect(202);
    expect(res.body).toMatchObject({ commitSha: head, trigger: 'manual' });
    expect(fake.tokenRequests.slice(asked).filter((r) => r.status === 201).map((r) => r.repositoryIds)).toContainEqual([repo.id]);
    await waitForStatus(world, (res.body as { id: string }).id, 'live');
  });

  it('a failed build completes its Check Run as a failure with the last log lines, and its Deployment fails', async () => {
    const commit = sha();
    world.pods.set(commit, { log: 'step 1\nerror: npm ci exited 1\n', runDuration: '1s', fail: true, exitCode: 1 });
    const fake = world.platform.github.app;
    // GitHub's first answers fail: a 502 and a rate limit that resets at once; the reports are retried.
    fake.reports.failNext.push({ status: 429, headers: { 'retry-after': '1' } });
    await post(world.platform, fake.push(app, repo, { ref: 'refs/heads/main', after: commit, pushedAt: Math.floor(Date.now() / 1000) + 10 })).expect(200);
    const id = await deliveredBuild(service.id);
    const failed = await waitForStatus(world, id, 'failed');
    const run = await eventually('the failed Check Run', () => {
      const found = fake.reports.checkRunsOf(commit)[0];
      return Promise.resolve(found?.status === 'completed' ? found : undefined);
    });
    expect(run.conclusion).toBe('failure');
    expect(run.history).toEqual(['queued', 'in_progress', 'completed:failure']);
    expect(run.output?.summary).toContain(String(failed.reason));
    expect(run.output?.text).toContain('error: npm ci exited 1');
    const deployment = await eventually('the failed Deployment', () => {
      const found = fake.reports.deployments.find((d) => d.ref === commit);
      return Promise.resolve(found?.statuses.some((s) => s.state === 'failure') ? found : undefined);
    });
    expect(deployment.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(fake.reports.requests.some((r) => r.status === 429)).toBe(true);
  });

  it('a build superseded while it runs: its Check Run is cancelled and its Deployment inactive', async () => {
    const fake = world.platform.github.app;
    const [first, second] = [sha(), sha()];
    world.pods.set(first, { log: 'slow\n', runDuration: '60s' });
    world.pods.set(second, { log: 'fast\n', runDuration: '1s' });
    const now = Math.floor(Date.now() / 1000);
    await post(world.platform, fake.push(app, repo, { ref: 'refs/heads/main', after: first, pushedAt: now + 30 })).expect(200);
    await eventually('the first build in progress', () => Promise.resolve(fake.reports.checkRunsOf(first)[0]?.history.includes('in_progress') ? true : undefined));
    await post(world.platform, fake.push(app, repo, { ref: 'refs/heads/main', after: second, pushedAt: now + 40 })).expect(200);
    const run = await eventually('the superseded Check Run', () => {
      const found = fake.reports.checkRunsOf(first)[0];
      return Promise.resolve(found?.status === 'completed' ? found : undefined);
    });
    expect(run.history).toEqual(['queued', 'in_progress', 'completed:cancelled']);
    const superseded = await eventually('the inactive Deployment', () => {
      const found = fake.reports.deployments.find((d) => d.ref === first);
      return Promise.resolve(found?.statuses.some((s) => s.state === 'inactive') ? found : undefined);
    });
    expect(superseded.statuses.map((s) => s.state)).toEqual(['in_progress', 'inactive']);
    const id = await deliveredBuild(service.id);
    await waitForStatus(world, id, 'live');
  });

  it('a repository removed from the installation, or the App uninstalled: the service says so and its builds are refused with the reason', async () => {
    const fake = world.platform.github.app;
    const reason = `The GitHub App is not installed on ${world.login}/web (it was uninstalled, or the repository was removed from its installation), so the platform cannot read it: install the App on the repository to build it.`;
    await post(world.platform, fake.changeRepositories(installation, { remove: [repo] })).expect(200);
    const shown = await request(world.platform.app).get(`/api/services/${service.id}`).set({ Cookie: world.cookie }).expect(200);
    expect((shown.body as ServiceDto).can.deploy).toEqual({ ok: false, reason });
    const refused = await request(world.platform.app).post(`/api/services/${service.id}/deploy`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({}).expect(409);
    expect((refused.body as { error: { message: string } }).error.message).toBe(reason);
    // A push through the per-service webhook (the fallback) is recorded, and its build fails with the reason, not in its fetch step.
    const commit = sha();
    world.pods.set(commit, { log: 'built\n', runDuration: '1s' });
    const answer = await push(world, service, commit, { pushedAt: Math.floor(Date.now() / 1000) + 60 });
    expect(answer.status).toBe(202);
    const failed = await waitForStatus(world, String(answer.body.deploymentId), 'failed');
    expect(failed.reason).toBe(reason);
    expect(await maybe(() => world.batch.readNamespacedJob({ namespace: project.namespace, name: `web-build-${commit.slice(0, 7)}` }))).toBeUndefined();

    // Back in the installation: it deploys again; then the App is uninstalled: said and refused the same way.
    await post(world.platform, fake.changeRepositories(installation, { add: [repo] })).expect(200);
    const again = await request(world.platform.app).get(`/api/services/${service.id}`).set({ Cookie: world.cookie }).expect(200);
    expect((again.body as ServiceDto).can.deploy).toEqual({ ok: true, reason: null });
    await post(world.platform, fake.uninstall(installation)).expect(200);
    const gone = await request(world.platform.app).get(`/api/services/${service.id}`).set({ Cookie: world.cookie }).expect(200);
    expect((gone.body as ServiceDto).can.deploy).toEqual({ ok: false, reason });
  });
});
