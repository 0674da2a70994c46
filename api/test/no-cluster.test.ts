import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import type { ServiceDto, UserDto } from '@dangus/common';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pushPayload, randomSha } from './support/webhook-payloads.js';

const exec = promisify(execFile);

/** The start of the one reason every "no cluster" answer and disabled action gives. */
const NO_CLUSTER = /^No Kubernetes cluster is connected \(KUBECONFIG is not set and the platform is not running in a pod\): .*Point KUBECONFIG at a cluster and restart the platform\.$/;

/**
 * The platform without a cluster, as `npm start` runs on a laptop: every answer says so in
 * one sentence (`no_cluster`), the service says which actions it would refuse, and a push
 * recorded meanwhile puts no build Job into the state repo.
 */
describe('without a cluster', () => {
  let t: TestPlatform;
  let cookie: string;
  const api = () => ({
    get: (path: string) => request(t.app).get(`/api${path}`).set('Cookie', cookie),
    post: (path: string, body: object) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body),
  });

  beforeEach(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('octocat', 4242);
  });
  afterEach(async () => {
    await t.close();
  });

  async function service(body: object = {}): Promise<ServiceDto & { namespace: string }> {
    const project = await api().post('/projects', { name: 'shop' }).expect(201);
    const svc = await api()
      .post(`/projects/${project.body.id as string}/services`, { name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080, ...body })
      .expect(201);
    return { ...(svc.body as ServiceDto), namespace: project.body.namespace as string };
  }

  it('/auth/me says no cluster is connected, and why, for the banner of every page', async () => {
    const me = await request(t.app).get('/auth/me').set('Cookie', cookie).expect(200);
    expect((me.body as UserDto).cluster).toEqual({ connected: false, reason: expect.stringMatching(NO_CLUSTER) });
  });

  it('logs, events and usage answer 503 no_cluster with that reason; metrics say it in their answer', async () => {
    const svc = await service();
    const reason = ((await request(t.app).get('/auth/me').set('Cookie', cookie)).body as UserDto).cluster.reason;
    for (const path of [`/services/${svc.id}/logs/stream`, `/services/${svc.id}/events`, `/projects/${svc.projectId}/usage`]) {
      const res = await api().get(path).expect(503);
      expect(res.body).toEqual({ error: { code: 'no_cluster', message: reason } });
    }
    const metrics = await api().get(`/services/${svc.id}/metrics`).expect(200);
    expect(metrics.body).toMatchObject({ available: false, reason, samples: [] });
    // Someone else's service is still a 404 first, not a hint that it exists.
    const other = await t.signIn('mallory', 666);
    await request(t.app).get(`/api/services/${svc.id}/events`).set('Cookie', other).expect(404);
  });

  it('the service says which actions would be refused and why, and the api refuses them with the same words', async () => {
    const svc = await service({ storageGb: 1 });
    expect(svc.can).toEqual({
      deploy: { ok: false, reason: expect.stringMatching(NO_CLUSTER) },
      restart: { ok: false, reason: expect.stringMatching(NO_CLUSTER) },
      scale: { ok: false, reason: expect.stringMatching(/^A service with a volume runs one replica/) },
      observe: { ok: false, reason: expect.stringMatching(NO_CLUSTER) },
    });
    const restart = await api().post(`/services/${svc.id}/restart`, {}).expect(503);
    expect(restart.body.error).toEqual({ code: 'no_cluster', message: svc.can.restart.reason });
    const deploy = await api().post(`/services/${svc.id}/deploy`, {}).expect(503);
    expect(deploy.body.error).toEqual({ code: 'no_cluster', message: svc.can.deploy.reason });
    const scale = await request(t.app).patch(`/api/services/${svc.id}`).set('Cookie', cookie).set('Origin', ORIGIN).send({ replicas: 2 }).expect(400);
    expect(scale.body.error.message).toBe(svc.can.scale.reason);
    // Without the volume, more replicas are allowed, and the answer says so.
    const unscaled = await request(t.app).patch(`/api/services/${svc.id}`).set('Cookie', cookie).set('Origin', ORIGIN).send({ storageGb: null }).expect(200);
    expect((unscaled.body as ServiceDto).can.scale).toEqual({ ok: true, reason: null });
  });

  it('a push is recorded as pending, and neither a later change of its tenant nor a restart\'s reconcile commits its build Job', async () => {
    const svc = await service();
    const files = async () => (await exec('git', ['--git-dir', t.stateRepoDir, 'ls-tree', '-r', '--name-only', 'HEAD'])).stdout.trim().split('\n');
    const sha = randomSha();
    const body = JSON.stringify(pushPayload({ repo: 'acme/web', ref: 'refs/heads/main', after: sha }));
    const pushed = await request(t.app).post(`/webhooks/github/${svc.id}`).set(deliveryHeaders(svc.webhookSecret, body, 'push')).send(body).expect(202);
    const deployment = await api().get(`/deployments/${pushed.body.deploymentId as string}`).expect(200);
    expect(deployment.body).toMatchObject({ status: 'pending', commitSha: sha });

    // A change of the same tenant renders it again: the pending build is not in it.
    await api().post(`/services/${svc.id}/env`, { key: 'MODE', value: 'x' }).expect(201);
    expect(await files()).toContain(`tenants/${svc.namespace}/web/service.yaml`);
    // What the controller does at a restart (its takeover): render every tenant and commit the difference.
    const reconciled = await t.writer.sink.reconcile();
    expect(reconciled.failed).toEqual([]);
    const after = await files();
    expect(after.filter((file) => /\/build-[0-9a-f]{7}\.yaml$/.test(file))).toEqual([]);
    expect(after).toContain(`tenants/${svc.namespace}/web/service.yaml`);
    const log = (await exec('git', ['--git-dir', t.stateRepoDir, 'log', '-p', '--format=%s'])).stdout;
    expect(log).not.toContain(`build-${sha.slice(0, 7)}`);
    // The push still waits, for a cluster.
    expect((await api().get(`/deployments/${pushed.body.deploymentId as string}`).expect(200)).body.status).toBe('pending');
  });
});
