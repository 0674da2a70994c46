/**
 * Previews of pull requests on the real control plane (issue 35): a `pull_request opened`
 * on the App's webhook commits the preview's build Job; the pipeline writes its Secret (the
 * git token for the fetch step, a registry credential for the preview's own repository),
 * follows the Job, and rolls the preview's Deployment out with the digest it built, its own
 * URL, number and commit in its env and none of the service's values; a `synchronize`
 * supersedes the build; `closed` prunes every object.
 */
import request from 'supertest';
import type { PreviewDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { connect, post } from '@dangus/api/test-support/github-app-flow';
import type { FakeApp, FakeRepository } from '@dangus/api/test-support/fake-github-app';
import { createProject, createService, eventually, maybe, sha, startWorld, type PipelineWorld } from './support.js';

/** The value of the service's one env key its previews are seeded from. */
const SEEDED = 'https://staging-api.example.test';

describe('previews on the real control plane', () => {
  let world: PipelineWorld;
  let app: FakeApp;
  let repo: FakeRepository;
  let project: { id: string; namespace: string };
  let serviceId: string;

  beforeAll(async () => {
    world = await startWorld({ ADMIN_GITHUB_USERS: 'root' });
    const admin = await world.platform.signIn('root', 1);
    app = await connect(world.platform, admin);
    repo = world.platform.github.app.addRepository(`${world.login}/web`);
    await post(world.platform, world.platform.github.app.install(app, { login: world.login, id: 4242, type: 'User' }, [repo]).delivery).expect(200);
    world.platform.github.app.pulls.setPermission(`${world.login}/web`, 'alice', 'write');
    // Signed in again through the App: the user's own App token shows GitHub they read the repository (the service is bound).
    await world.platform.signIn(world.login, world.githubId);
    project = await createProject(world, 'prshop');
    const service = await createService(world, project.id, 'web');
    serviceId = service.id;
    await request(world.platform.app).post(`/api/services/${serviceId}/env`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({ key: 'PROD_SECRET', value: 'service-only-value-77' }).expect(201);
    await request(world.platform.app).post(`/api/services/${serviceId}/env`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({ key: 'API_BASE', value: SEEDED }).expect(201);
    // Its previews are seeded with API_BASE (and a key the service lacks), never PROD_SECRET.
    await request(world.platform.app).patch(`/api/services/${serviceId}`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({ previews: { enabled: true, seedKeys: ['API_BASE', 'NOT_SET'] } }).expect(200);
  });
  afterAll(async () => {
    await world.close();
  });

  const previews = async () =>
    (await request(world.platform.app).get(`/api/services/${serviceId}/previews`).set({ Cookie: world.cookie }).expect(200)).body as PreviewDto[];
  const deliver = (pull: Parameters<typeof world.platform.github.app.pulls.payload>[0], action: string) =>
    post(world.platform, world.platform.github.app.deliver(app, 'pull_request', world.platform.github.app.pulls.payload(pull, action)));

  it('builds a pull request into its own Deployment, supersedes on synchronize, and prunes it on close', async () => {
    const ns = project.namespace;
    const pull = world.platform.github.app.pulls.open({ id: repo.id, fullName: `${world.login}/web` }, { author: 'alice', headSha: sha() });
    world.pods.set(pull.headSha, { log: 'INFO Pushed image\n', runDuration: '1s' });
    await deliver(pull, 'opened').expect(200);

    // The build's Secret: the git token and a registry credential, the Job of the preview's own name.
    const firstJob = `web--pr${String(pull.number)}-build-${pull.headSha.slice(0, 7)}`;
    const job = await eventually('the preview build Job', () => maybe(() => world.batch.readNamespacedJob({ namespace: ns, name: firstJob })));
    const kaniko = job.spec?.template.spec?.containers.find((c) => c.name === 'kaniko');
    expect(kaniko?.env?.find((e) => e.name === 'DANGUS_DESTINATION')?.value).toMatch(new RegExp(`/web--pr${String(pull.number)}:${pull.headSha}$`));
    expect(JSON.stringify(job)).not.toContain('service-only-value-77');
    // Its URL, number and commit reach the build as Kaniko build args.
    const url = (await previews())[0]?.url;
    expect(kaniko?.args).toEqual(expect.arrayContaining(['--build-arg=DANGUS_PREVIEW_URL=$(DANGUS_PREVIEW_URL)', '--build-arg=DANGUS_PR_NUMBER=$(DANGUS_PR_NUMBER)', '--build-arg=DANGUS_COMMIT_SHA=$(DANGUS_COMMIT_SHA)']));
    expect(kaniko?.env).toEqual(
      expect.arrayContaining([
        { name: 'DANGUS_PREVIEW_URL', value: url },
        { name: 'DANGUS_PR_NUMBER', value: String(pull.number) },
        { name: 'DANGUS_COMMIT_SHA', value: pull.headSha },
      ]),
    );

    // Built: the row has the image by digest; the Deployment runs it with the preview's own env.
    const live = await eventually('the preview live', async () => (await previews()).find((p) => p.state === 'live'));
    expect(live.headSha).toBe(pull.headSha);
    const name = `web--pr${String(pull.number)}`;
    // GitHub is told: the one comment says it is live, the GitHub Deployment succeeded with its URL.
    const fake = world.platform.github.app;
    await eventually('the comment saying live', () => Promise.resolve(fake.pulls.commentsOn(`${world.login}/web`, pull.number)[0]?.body.includes('✅ Live') ? true : undefined));
    expect(fake.pulls.commentsOn(`${world.login}/web`, pull.number)).toHaveLength(1);
    const ghDeployment = await eventually('the GitHub Deployment succeeded', () =>
      Promise.resolve(fake.reports.deployments.find((d) => d.ref === pull.headSha && d.statuses.some((st) => st.state === 'success'))),
    );
    expect(ghDeployment.statuses.map((st) => [st.state, st.environmentUrl])).toEqual([['in_progress', null], ['success', live.url]]);
    const deployment = await eventually('the preview Deployment', () => maybe(() => world.apps.readNamespacedDeployment({ namespace: ns, name })));
    const container = deployment.spec?.template.spec?.containers[0];
    expect(container?.image).toMatch(new RegExp(`/${name}:${pull.headSha}@sha256:[0-9a-f]{64}$`));
    expect(container?.env).toEqual(
      expect.arrayContaining([
        { name: 'DANGUS_PREVIEW_URL', value: live.url },
        { name: 'DANGUS_PR_NUMBER', value: String(pull.number) },
        { name: 'DANGUS_COMMIT_SHA', value: pull.headSha },
      ]),
    );
    expect(container?.envFrom?.map((e) => e.secretRef?.name)).toEqual([`${name}-env`]);
    // Its own env Secret has the seeded key's value and no other of the service's; the build's Secret is gone.
    const envSecret = await world.core.readNamespacedSecret({ namespace: ns, name: `${name}-env` });
    expect(envSecret.data ?? {}).toEqual({ API_BASE: Buffer.from(SEEDED).toString('base64') });
    await eventually('the build Secret gone', async () => ((await maybe(() => world.core.readNamespacedSecret({ namespace: ns, name: firstJob }))) ? undefined : true));

    // A new push: its build supersedes, and the Deployment moves to the new digest.
    const first = pull.headSha;
    pull.headSha = sha();
    world.pods.set(pull.headSha, { log: 'INFO Pushed image\n', runDuration: '1s' });
    await deliver(pull, 'synchronize').expect(200);
    await eventually('the second build live', async () => (await previews()).find((p) => p.state === 'live' && p.headSha === pull.headSha));
    const moved = await eventually('the Deployment on the new commit', async () => {
      const d = await maybe(() => world.apps.readNamespacedDeployment({ namespace: ns, name }));
      return d?.spec?.template.spec?.containers[0]?.image?.includes(`:${pull.headSha}@`) ? d : undefined;
    });
    expect(moved.spec?.template.spec?.containers[0]?.image).not.toContain(first);
    await eventually('the first Job gone', async () => ((await maybe(() => world.batch.readNamespacedJob({ namespace: ns, name: firstJob }))) ? undefined : true));

    // Closed: the commit prunes every object of the preview.
    pull.state = 'closed';
    await deliver(pull, 'closed').expect(200);
    await eventually('the preview Deployment gone', async () => ((await maybe(() => world.apps.readNamespacedDeployment({ namespace: ns, name }))) ? undefined : true));
    expect(await maybe(() => world.core.readNamespacedService({ namespace: ns, name }))).toBeUndefined();
    // The seeded values do not outlive it: its env Secret goes too.
    await eventually('the preview env Secret gone', async () => ((await maybe(() => world.core.readNamespacedSecret({ namespace: ns, name: `${name}-env` }))) ? undefined : true));
    // The service itself is untouched by all of it.
    expect((await previews())[0]).toMatchObject({ state: 'closed' });
  });

  it('after a controller restart, a superseded build still loses its Secret, and the build is not written twice', async () => {
    const ns = project.namespace;
    const pull = world.platform.github.app.pulls.open({ id: repo.id, fullName: `${world.login}/web` }, { author: 'alice', headSha: sha() });
    world.pods.set(pull.headSha, { log: 'INFO Pushed image\n', runDuration: '15s' });
    await deliver(pull, 'opened').expect(200);
    const firstSecret = `web--pr${String(pull.number)}-build-${pull.headSha.slice(0, 7)}`;
    const written = await eventually('the first build Secret', () => maybe(() => world.core.readNamespacedSecret({ namespace: ns, name: firstSecret })));
    // The controller restarts: what it wrote is known from rows, not memory; the build's Secret is not written again.
    const pipeline = world.platform.pipeline;
    if (!pipeline) throw new Error('no pipeline');
    await pipeline.restartPreviews();
    await pipeline.previews.idle();
    const again = await world.core.readNamespacedSecret({ namespace: ns, name: firstSecret });
    expect(again.metadata?.resourceVersion).toBe(written.metadata?.resourceVersion);
    // A push supersedes the build the old controller started: its Secret goes.
    pull.headSha = sha();
    world.pods.set(pull.headSha, { log: 'INFO Pushed image\n', runDuration: '1s' });
    await deliver(pull, 'synchronize').expect(200);
    await eventually('the second build live', async () => (await previews()).find((p) => p.number === pull.number && p.state === 'live' && p.headSha === pull.headSha));
    await eventually('the superseded build Secret gone', async () => ((await maybe(() => world.core.readNamespacedSecret({ namespace: ns, name: firstSecret }))) ? undefined : true));
    await eventually('no build Secret left on record', async () => {
      const rows = await world.platform.db.query<unknown[]>(`SELECT 1 FROM preview_build_secrets`);
      return rows.length === 0 ? true : undefined;
    });
    pull.state = 'closed';
    await deliver(pull, 'closed').expect(200);
  });

  it('keeps a build\'s log redacted across a controller restart: the new one reads the build\'s credentials from its Secret', async () => {
    const ns = project.namespace;
    const secretOf = (pull: { number: number; headSha: string }) =>
      eventually('the build Secret', () => maybe(() => world.core.readNamespacedSecret({ namespace: ns, name: `web--pr${String(pull.number)}-build-${pull.headSha.slice(0, 7)}` })));
    const tokenOf = (secret: { data?: Record<string, string> }) => Buffer.from(secret.data?.['git-token'] ?? '', 'base64').toString();
    // A first pull request's build shows the repository's fetch token (the App caches one per repository and permission set).
    const first = world.platform.github.app.pulls.open({ id: repo.id, fullName: `${world.login}/web` }, { author: 'alice', headSha: sha() });
    world.pods.set(first.headSha, { log: 'INFO Pushed image\n', runDuration: '1s' });
    await deliver(first, 'opened').expect(200);
    const token = tokenOf(await secretOf(first));
    expect(token).toMatch(/^ghs_/);
    // The next build's log prints it, as a RUN step could print what it reads.
    const pull = world.platform.github.app.pulls.open({ id: repo.id, fullName: `${world.login}/web` }, { author: 'alice', headSha: sha() });
    world.pods.set(pull.headSha, { log: `cloning with ${token}\nINFO Pushed image\n`, runDuration: '3s' });
    await deliver(pull, 'opened').expect(200);
    expect(tokenOf(await secretOf(pull))).toBe(token);
    // The controller restarts before that build's pod runs: it knows the token from the Secret alone.
    const pipeline = world.platform.pipeline;
    if (!pipeline) throw new Error('no pipeline');
    await pipeline.restartPreviews();
    const log = await eventually('the build\'s log whole', async () => {
      const body = (await request(world.platform.app).get(`/api/services/${serviceId}/previews/${String(pull.number)}/log`).set({ Cookie: world.cookie })).body as { log?: string; complete?: boolean };
      return body.complete && body.log?.includes('Pushed image') ? body.log : undefined;
    });
    expect(log).toBe('cloning with [redacted]\nINFO Pushed image\n');
    for (const open of [first, pull]) {
      open.state = 'closed';
      await deliver(open, 'closed').expect(200);
    }
  });

  it('never gives a fork\'s build the tenant\'s push credential: without the token server its preview is refused', async () => {
    const pull = world.platform.github.app.pulls.open(
      { id: repo.id, fullName: `${world.login}/web` },
      { author: 'mallory', headSha: sha(), fork: { id: 990_001, fullName: 'mallory/web' } },
    );
    world.pods.set(pull.headSha, { log: 'INFO Pushed image\n', runDuration: '1s' });
    await deliver(pull, 'opened').expect(200);
    await eventually('the fork awaiting approval', async () => (await previews()).find((p) => p.number === pull.number && p.state === 'awaiting_approval'));
    // The owner approves from the UI (GitHub says they may write to the repository).
    world.platform.github.app.pulls.setPermission(`${world.login}/web`, world.login, 'admin');
    await request(world.platform.app)
      .post(`/api/services/${serviceId}/previews/${String(pull.number)}/approve`)
      .set({ Origin: ORIGIN, Cookie: world.cookie })
      .send({ headSha: pull.headSha })
      .expect(200);
    const failed = await eventually('the fork preview refused', async () => (await previews()).find((p) => p.number === pull.number && p.state === 'failed'));
    expect(failed.reason).toContain('built only with the bundled registry');
    // No build Secret was written for it: the Job never held a push credential.
    const secrets = await world.platform.db.query<unknown[]>(`SELECT 1 FROM preview_build_secrets s JOIN previews p ON p.id = s.preview_id WHERE p.pr_number = $1`, [pull.number]);
    expect(secrets).toEqual([]);
    const secretName = `web--pr${String(pull.number)}-build-${pull.headSha.slice(0, 7)}`;
    expect(await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: secretName }))).toBeUndefined();
    // Nor any of the service's values: its env Secret was never seeded (api/test/preview-seed.test.ts has the fork's seeding rule).
    const env = await maybe(() => world.core.readNamespacedSecret({ namespace: project.namespace, name: `web--pr${String(pull.number)}-env` }));
    expect(Object.keys(env?.data ?? {})).toEqual([]);
    pull.state = 'closed';
    await deliver(pull, 'closed').expect(200);
  });

  it('is live only once its new pods are ready: a build whose pods crash ends failed with the reason', async () => {
    const pull = world.platform.github.app.pulls.open({ id: repo.id, fullName: `${world.login}/web` }, { author: 'alice', headSha: sha() });
    world.pods.set(pull.headSha, { log: 'INFO Pushed image\n', runDuration: '1s', crashLoop: true });
    await deliver(pull, 'opened').expect(200);
    // Built, its Deployment committed: still not live while the pods are not ready.
    const rolling = await eventually('the preview rolling out', async () => (await previews()).find((p) => p.number === pull.number && p.reason?.startsWith('rolling out')));
    expect(rolling.state).toBe('building');
    const failed = await eventually('the preview failed', async () => (await previews()).find((p) => p.number === pull.number && p.state === 'failed'));
    expect(failed.reason).toMatch(/^the rollout of [0-9a-f]{7} failed: the new version keeps crashing/);
    const fake = world.platform.github.app;
    await eventually('the GitHub Deployment failed', () =>
      Promise.resolve(fake.reports.deployments.find((d) => d.ref === pull.headSha && d.statuses.some((st) => st.state === 'failure'))),
    );
    expect(fake.reports.deployments.find((d) => d.ref === pull.headSha)?.statuses.map((st) => st.state)).toEqual(['in_progress', 'failure']);
    pull.state = 'closed';
    await deliver(pull, 'closed').expect(200);
  });
});
