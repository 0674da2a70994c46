// Previews of pull requests on a real node (issue 35): a `pull_request opened` on the App's
// webhook builds the pull request's head with the product's Kaniko Job on a real kubelet,
// into the preview's own repository, and the preview answers at its own host through
// Traefik with the pull request's code and its DANGUS_PREVIEW_URL; a `synchronize` builds
// the new head, which supersedes; `closed` prunes every object and the host stops answering.
// GitHub is the fake; the registry takes Harbor's token flow (a robot per tenant project).
import request from 'supertest';
import type { PreviewDto, PreviewLogDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { connect, post } from '@dangus/api/test-support/github-app-flow';
import { commitApp, createProject, eventually, podReport, startRealWorld, viaIngress, type RealWorld } from './support.js';

describe('previews of pull requests on a real node', () => {
  let world: RealWorld;

  beforeAll(async () => {
    world = await startRealWorld((line) => process.stderr.write(`[real-node] ${line}\n`));
  }, 600_000);
  afterAll(async () => {
    await world.close();
  }, 120_000);

  it('builds a pull request into its own address, follows a new push, and is gone when it closes', async () => {
    await world.platform.db.query(`UPDATE users SET role = 'admin' WHERE github_username = $1`, [world.login]);
    const app = await connect(world.platform, world.cookie);
    const fake = world.github.app;
    const full = `${world.login}/${world.repo.name}`;
    const repo = fake.addRepository(full);
    await post(world.platform, fake.install(app, { login: world.login, id: 7_700_002, type: 'User' }, [repo]).delivery).expect(200);
    // Signed in again through the App: the user's own App token shows GitHub they read the repository (the service is bound).
    await world.platform.signIn(world.login, 7_700_001);
    fake.pulls.setPermission(full, 'alice', 'write');

    const project = await createProject(world, 'prshop');
    const created = await request(world.platform.app)
      .post(`/api/projects/${project.id}/services`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .send({ name: 'web', repoUrl: `https://github.com/${full}`, branch: 'main', dockerfilePath: 'Dockerfile', port: 8080 })
      .expect(201);
    const serviceId = String(created.body.id);
    await request(world.platform.app).patch(`/api/services/${serviceId}`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({ previews: { enabled: true } }).expect(200);
    const previews = async () => (await request(world.platform.app).get(`/api/services/${serviceId}/previews`).set({ Cookie: world.cookie }).expect(200)).body as PreviewDto[];
    const answering = (host: string, version: string) =>
      eventually(`the preview answering with ${version}`, async () => {
        const answer = await viaIngress(world, host, '/cgi-bin/app').catch(() => ({ status: 0, body: '' }));
        return answer.status === 200 && answer.body.includes(`version=${version}`) ? answer.body : undefined;
      }, 300_000).catch(async (error: unknown) => {
        throw new Error(`${String(error)}\n${await podReport(world)}`);
      });

    const head = await commitApp(world, { version: 'pr-one' });
    const pull = fake.pulls.open({ id: repo.id, fullName: full }, { author: 'alice', headSha: head });
    const opened = Date.now();
    await post(world.platform, fake.deliver(app, 'pull_request', fake.pulls.payload(pull, 'opened'))).expect(200);
    const [preview] = await previews();
    if (!preview) throw new Error('no preview');
    const host = new URL(preview.url).hostname;
    const body = await answering(host, 'pr-one');
    const openedMs = Date.now() - opened;
    expect(body).toContain(`preview=${preview.url}`);
    expect(body).toContain('greeting=\n');
    expect((await previews())[0]).toMatchObject({ state: 'live', headSha: head });
    // Its build's log is stored, whole, Kaniko's own lines; the pull request's comment links to its page.
    const buildLog = async () =>
      (await request(world.platform.app).get(`/api/services/${serviceId}/previews/${String(pull.number)}/log`).set({ Cookie: world.cookie }).expect(200)).body as PreviewLogDto;
    const first = await buildLog();
    expect(first).toMatchObject({ number: pull.number, headSha: head, complete: true });
    expect(first.log).toContain('Pushing image to');
    expect(first.log).toContain(`web--pr${String(pull.number)}:${head}`);
    expect(fake.pulls.comments.find((c) => c.number === pull.number)?.body).toContain(`/services/${serviceId}/previews/${String(pull.number)}`);

    // A new push: its build supersedes, and the host answers with the new code.
    pull.headSha = await commitApp(world, { version: 'pr-two' });
    await post(world.platform, fake.deliver(app, 'pull_request', fake.pulls.payload(pull, 'synchronize'))).expect(200);
    await answering(host, 'pr-two');
    // The log is the new build's now.
    const second = await buildLog();
    expect(second).toMatchObject({ headSha: pull.headSha, complete: true });
    expect(second.log).toContain(`web--pr${String(pull.number)}:${pull.headSha}`);
    expect(second.log).not.toContain(head);

    // Closed: the prune commit removes every object; the host stops answering.
    pull.state = 'closed';
    const closed = Date.now();
    await post(world.platform, fake.deliver(app, 'pull_request', fake.pulls.payload(pull, 'closed'))).expect(200);
    await eventually('the preview host gone', async () => {
      const answer = await viaIngress(world, host, '/cgi-bin/app').catch(() => ({ status: 0, body: '' }));
      return answer.status === 404 ? true : undefined;
    }, 120_000);
    const goneMs = Date.now() - closed;
    const name = `web--pr${String(pull.number)}`;
    await eventually('the preview objects gone', async () => {
      const [deployments, services, ingresses] = await Promise.all([
        world.apps.listNamespacedDeployment({ namespace: project.namespace }),
        world.core.listNamespacedService({ namespace: project.namespace }),
        world.networking.listNamespacedIngress({ namespace: project.namespace }),
      ]);
      const left = [...deployments.items, ...services.items, ...ingresses.items].filter((o) => o.metadata?.name?.startsWith(name));
      return left.length === 0 ? true : undefined;
    });
    process.stderr.write(`[previews] opened → answering ${String(openedMs)} ms; closed → host gone ${String(goneMs)} ms\n`);
  }, 900_000);
});
