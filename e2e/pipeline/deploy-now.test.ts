/**
 * "Deploy now" with a cluster: the api says the cluster is connected, resolves the branch
 * head through GitHub (with the owner's token; anonymously for a public repository when the
 * owner signed in without GitHub), and the pipeline builds it; a private repository of an
 * owner without a token is refused before anything is recorded, with the reason the service
 * gives beforehand.
 */
import request from 'supertest';
import type { DeploymentDto, ServiceDto, UserDto } from '@dangus/common';
import { ORIGIN, cookiesOf } from '@dangus/api/test-support/platform';
import { createProject, createService, eventually, maybe, sha, startWorld, waitForStatus, type PipelineWorld } from './support.js';

describe('"Deploy now" on the real control plane', () => {
  let world: PipelineWorld;

  beforeAll(async () => {
    world = await startWorld({ AUTH_LOCAL: 'true' });
  });
  afterAll(async () => {
    await world.close();
  });

  it('the api says a cluster is connected, and a deploy builds the branch head GitHub gives for the owner\'s token', async () => {
    const me = await request(world.platform.app).get('/auth/me').set({ Cookie: world.cookie }).expect(200);
    expect((me.body as UserDto).cluster).toEqual({ connected: true, reason: null });
    const project = await createProject(world, 'shop');
    const service = await createService(world, project.id, 'web', 'feature/x');
    expect(service.can).toEqual({
      deploy: { ok: true, reason: null },
      restart: { ok: false, reason: 'Nothing runs yet: the service has no deployment to restart.' },
      scale: { ok: true, reason: null },
      observe: { ok: true, reason: null },
    });
    const head = sha();
    world.platform.github.branches.set(`${service.repo}#feature/x`, { sha: head, message: 'Add x' });
    world.pods.set(head, { log: 'built\n', runDuration: '1s' });
    const res = await request(world.platform.app).post(`/api/services/${service.id}/deploy`).set({ Origin: ORIGIN, Cookie: world.cookie }).send({}).expect(202);
    expect(res.body).toMatchObject({ commitSha: head, status: 'pending', trigger: 'manual', serviceId: service.id });
    await waitForStatus(world, (res.body as DeploymentDto).id, 'live');
    // Now something runs: a restart is possible.
    const after = await request(world.platform.app).get(`/api/services/${service.id}`).set({ Cookie: world.cookie }).expect(200);
    expect((after.body as ServiceDto).can.restart).toEqual({ ok: true, reason: null });
  });

  it('for a user signed in without GitHub: a public repository deploys through GitHub\'s anonymous answer, a private one is refused with the reason shown before', async () => {
    const signIn = await request(world.platform.app).post('/auth/local').set({ Origin: ORIGIN }).expect(204);
    const as = { Origin: ORIGIN, Cookie: cookiesOf(signIn.headers['set-cookie']) };
    const project = await request(world.platform.app).post('/api/projects').set(as).send({ name: 'laptop' }).expect(201);
    const create = async (name: string, repo: string) =>
      (await request(world.platform.app)
        .post(`/api/projects/${(project.body as { id: string }).id}/services`)
        .set(as)
        .send({ name, repoUrl: `https://github.com/${repo}`, port: 8080 })
        .expect(201)).body as ServiceDto;

    world.platform.github.publicRepos.add('octo-public/site');
    const head = sha();
    world.platform.github.branches.set('octo-public/site#main', { sha: head, message: 'public' });
    world.pods.set(head, { log: 'built\n', runDuration: '3s' });
    const site = await create('site', 'octo-public/site');
    expect(site.can.deploy).toEqual({ ok: true, reason: null });
    const deployed = await request(world.platform.app).post(`/api/services/${site.id}/deploy`).set(as).send({}).expect(202);
    expect(deployed.body).toMatchObject({ commitSha: head, status: 'pending', trigger: 'manual' });
    // The build's Secret carries an empty token: the fetch step clones anonymously.
    const id = (deployed.body as DeploymentDto).id;
    const ns = `${site.subdomain.split('-')[0] ?? ''}-laptop`;
    const secret = await eventually('the build Secret', () => maybe(() => world.core.readNamespacedSecret({ namespace: ns, name: `site-build-${head.slice(0, 7)}` })));
    expect(Buffer.from(secret.data?.['git-token'] ?? 'missing', 'base64').toString()).toBe('');
    await eventually('the public build to go live', async () => {
      const d = (await request(world.platform.app).get(`/api/deployments/${id}`).set(as).expect(200)).body as DeploymentDto;
      return d.status === 'live' ? d : undefined;
    }, 90_000);

    const hidden = await create('hidden', 'octo-private/vault');
    expect(hidden.can.deploy).toEqual({
      ok: false,
      reason: 'octo-private/vault is private or does not exist on GitHub, and you signed in without GitHub, so the platform has no token to read it: sign in with GitHub, or make the repository public.',
    });
    const refused = await request(world.platform.app).post(`/api/services/${hidden.id}/deploy`).set(as).send({}).expect(409);
    expect(refused.body.error).toEqual({ code: 'conflict', message: hidden.can.deploy.reason });
    expect(await world.platform.db.query('SELECT id FROM deployments WHERE service_id = $1', [hidden.id])).toEqual([]);
  });
});
