// One real build through the GitHub App on a real node (issue 29): a push on the App's
// webhook builds with Kaniko on a real kubelet; the build's fetch step clones the private
// repository over HTTPS with an installation token minted for that one repository
// (`contents: read`), never a user's; the build reports a Check Run and a GitHub Deployment.
// GitHub is the fake (its git server takes an installation token only for its repositories).
import request from 'supertest';
import type { ServiceDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { connect, post } from '@dangus/api/test-support/github-app-flow';
import { commitApp, createProject, eventually, podReport, startRealWorld, waitForStatus, type RealWorld } from './support.js';

describe('a build through the GitHub App on a real node', () => {
  let world: RealWorld;

  beforeAll(async () => {
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`));
  }, 600_000);
  afterAll(async () => {
    await world.close();
  }, 120_000);

  it('clones with a token for the one repository, goes live, and reports a Check Run and a Deployment', async () => {
    // An admin connects the App (the manifest flow); the user's OAuth token is deleted then.
    await world.platform.db.query(`UPDATE users SET role = 'admin' WHERE github_username = $1`, [world.login]);
    const app = await connect(world.platform, world.cookie);
    const fake = world.github.app;
    const repo = fake.addRepository(`${world.login}/${world.repo.name}`);
    const other = fake.addRepository(`${world.login}/other`);
    world.github.gitRepos.set(`${world.login}/other`, world.repo.bare);
    await post(world.platform, fake.install(app, { login: world.login, id: 7_700_001, type: 'User' }, [repo, other]).delivery).expect(200);
    // Signed in again through the App (as the branches route asks of a sign-in older than it): the
    // user's own App token is what shows GitHub they read the repository, so the service is bound to it.
    await world.platform.signIn(world.login, 7_700_001);

    const project = await createProject(world, 'appshop');
    const created = await request(world.platform.app)
      .post(`/api/projects/${project.id}/services`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .send({ name: 'web', repoUrl: `https://github.com/${world.login}/${world.repo.name}`, branch: 'main', dockerfilePath: 'Dockerfile', port: 8080 })
      .expect(201);
    const service = created.body as ServiceDto;
    const sha = await commitApp(world, { version: 'through-the-app' });
    const before = world.github.gitRequests.length;
    await post(world.platform, fake.push(app, repo, { ref: 'refs/heads/main', after: sha })).expect(200);
    const deliveries = await request(world.platform.app).get(`/api/services/${service.id}/webhook-deliveries`).set({ Cookie: world.cookie }).expect(200);
    const id = String((deliveries.body as { deploymentId: string | null }[])[0]?.deploymentId);
    const live = await waitForStatus(world, id, 'live').catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await podReport(world)}`);
    });
    expect(live.imageTag).toContain(`/web:${sha}@sha256:`);

    // The clone: over HTTPS, with the installation token, which the fake took for this repository only.
    const minted = fake.tokenRequests.filter((r) => r.permissions?.contents === 'read' && r.status === 201);
    expect(minted).toEqual([expect.objectContaining({ repositoryIds: [repo.id], permissions: { contents: 'read' } })]);
    const fetches = world.github.gitRequests.slice(before).filter((r) => r.repo === `${world.login}/${world.repo.name}`);
    expect(fetches.length).toBeGreaterThan(0);
    expect(fetches.every((r) => r.status === 200)).toBe(true);
    expect(world.github.gitRequests.slice(before).filter((r) => r.repo === `${world.login}/other`)).toEqual([]);

    // Reported back through the App.
    const run = await eventually('the completed Check Run', () => {
      const found = fake.reports.checkRunsOf(sha)[0];
      return Promise.resolve(found?.status === 'completed' ? found : undefined);
    });
    expect(run.history).toEqual(['queued', 'in_progress', 'completed:success']);
    expect(run.detailsUrl).toBe(`${ORIGIN}/services/${service.id}/deployments/${id}`);
    const deployment = fake.reports.deployments.find((d) => d.ref === sha);
    expect(deployment?.statuses.map((s) => [s.state, s.environmentUrl])).toEqual([
      ['in_progress', null],
      ['success', service.publicUrl],
    ]);
  }, 900_000);
});
