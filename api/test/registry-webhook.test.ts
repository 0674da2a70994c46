// The registry's push notifications (POST /webhooks/registry) on real PostgreSQL: the bearer
// token, matching a push to the build that waits for it, redeliveries, pushes no build waits
// for, and the shared-robot layout where the registry's word is not trusted. The payloads
// have the shapes distribution (notifications/event.go, envelope v2) and Harbor (webhook,
// default format, PUSH_ARTIFACT) send.
import { randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import { FakeHarbor } from './support/fake-harbor.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pushPayload, randomSha } from './support/webhook-payloads.js';

const TOKEN = randomBytes(24).toString('hex');
const ENVELOPE = 'application/vnd.docker.distribution.events.v2+json';

function digest(): string {
  return `sha256:${randomBytes(32).toString('hex')}`;
}

/** distribution's envelope of one manifest push, as its httpSink posts it. */
function distributionPush(repository: string, tag: string, manifestDigest: string, id = randomUUID()): Record<string, unknown> {
  return {
    events: [
      {
        id,
        timestamp: new Date().toISOString(),
        action: 'push',
        target: {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: manifestDigest,
          size: 1234,
          length: 1234,
          repository,
          url: `http://registry.test/v2/${repository}/manifests/${manifestDigest}`,
          tag,
        },
        request: { id: randomUUID(), addr: '10.88.1.5:41234', host: 'registry.test', method: 'PUT', useragent: 'kaniko/v1.23.2' },
        actor: { name: 'robot$build' },
        source: { addr: 'registry:5000', instanceID: randomUUID() },
      },
    ],
  };
}

/** Harbor's webhook payload for an artifact push (default format). */
function harborPush(repoFullName: string, tag: string, manifestDigest: string): Record<string, unknown> {
  const [namespace = '', name = ''] = repoFullName.split(/\/(.*)/);
  return {
    type: 'PUSH_ARTIFACT',
    occur_at: Math.floor(Date.now() / 1000),
    operator: 'robot$build',
    event_data: {
      resources: [{ digest: manifestDigest, tag, resource_url: `harbor.local/${repoFullName}:${tag}` }],
      repository: { date_created: 1_700_000_000, name, namespace, repo_full_name: repoFullName, repo_type: 'private' },
    },
  };
}

describe('the registry push notification', () => {
  let harbor: FakeHarbor;
  let t: TestPlatform;
  let cookie: string;
  const kicked: string[] = [];

  beforeAll(async () => {
    harbor = new FakeHarbor();
    await harbor.start();
    t = await startTestPlatform({
      HARBOR_URL: harbor.url,
      HARBOR_ADMIN_USERNAME: harbor.admin.username,
      HARBOR_ADMIN_PASSWORD: harbor.admin.password,
      REGISTRY_WEBHOOK_TOKEN: TOKEN,
    });
    // No cluster here: the pipeline's handle is where the use case hands a matched build over.
    t.ctx.pipeline = { kick: (ids) => kicked.push(...ids) };
    cookie = await t.signIn('octocat', 4242);
  });
  afterAll(async () => {
    await t.close();
    await harbor.stop();
  });

  /** A service with a pending build of a pushed commit: its deployment id, commit, and its image's repository path in the registry. */
  async function pendingBuild(projectName: string): Promise<{ deploymentId: string; sha: string; repository: string }> {
    const api = (path: string) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
    const project = await api('/projects').send({ name: projectName }).expect(201);
    const service = await api(`/projects/${project.body.id as string}/services`)
      .send({ name: 'web', repoUrl: `https://github.com/octocat/${projectName}`, port: 8080 })
      .expect(201);
    const shown = await request(t.app).get(`/api/services/${service.body.id as string}`).set('Cookie', cookie).expect(200);
    const sha = randomSha();
    const body = JSON.stringify(pushPayload({ repo: `octocat/${projectName}`, ref: 'refs/heads/main', after: sha }));
    const answer = await request(t.app)
      .post(`/webhooks/github/${service.body.id as string}`)
      .set(deliveryHeaders(shown.body.webhookSecret as string, body, 'push'))
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(202);
    return { deploymentId: answer.body.deploymentId as string, sha, repository: `dangus-${project.body.namespace as string}/web` };
  }

  function notify(body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': ENVELOPE }) {
    return request(t.app).post('/webhooks/registry').set(headers).send(JSON.stringify(body));
  }

  async function events(): Promise<{ deployment_id: string | null; outcome: string; digest: string; tag: string; source: string }[]> {
    return t.db.query(`SELECT deployment_id, outcome, digest, tag, source FROM registry_events ORDER BY received_at`);
  }

  it('refuses a notification without the token, or with another, and records nothing', async () => {
    const build = await pendingBuild('forged');
    const body = distributionPush(build.repository, build.sha, digest());
    const before = (await events()).length;
    kicked.length = 0;

    const none = await notify(body, { 'Content-Type': ENVELOPE }).expect(401);
    expect(none.body.error.code).toBe('unauthorized');
    await notify(body, { Authorization: `Bearer ${TOKEN.slice(0, -1)}x`, 'Content-Type': ENVELOPE }).expect(401);
    await notify(body, { Authorization: TOKEN, 'Content-Type': ENVELOPE }).expect(401);

    expect(await events()).toHaveLength(before);
    expect(kicked).toEqual([]);
    const [row] = await t.db.query<{ status: string; image_digest: string | null }[]>(`SELECT status, image_digest FROM deployments WHERE id = $1`, [build.deploymentId]);
    expect(row).toEqual({ status: 'pending', image_digest: null });
  });

  it('matches a push to the build waiting for its repository and tag, records the digest, and hands the build to the pipeline', async () => {
    const build = await pendingBuild('matched');
    const pushed = digest();
    kicked.length = 0;

    const answer = await notify(distributionPush(build.repository, build.sha, pushed)).expect(200);

    expect(answer.body).toEqual({ pushes: 1, matched: 1, duplicates: 0 });
    expect(kicked).toEqual([build.deploymentId]);
    const recorded = (await events()).filter((e) => e.tag === build.sha);
    expect(recorded).toEqual([{ deployment_id: build.deploymentId, outcome: 'matched', digest: pushed, tag: build.sha, source: 'distribution' }]);
  });

  it('takes a redelivery once: the same event changes nothing and starts nothing again', async () => {
    const build = await pendingBuild('again');
    const body = distributionPush(build.repository, build.sha, digest());
    await notify(body).expect(200);
    kicked.length = 0;

    const again = await notify(body).expect(200);

    expect(again.body).toEqual({ pushes: 1, matched: 0, duplicates: 1 });
    expect(kicked).toEqual([]);
    expect((await events()).filter((e) => e.tag === build.sha)).toHaveLength(1);
  });

  it('records and ignores a push no build waits for: another tag, another repository, a blob, a pull', async () => {
    const build = await pendingBuild('unknown');
    kicked.length = 0;
    const otherTag = randomSha();

    const answer = await notify(distributionPush(build.repository, otherTag, digest())).expect(200);
    expect(answer.body).toEqual({ pushes: 1, matched: 0, duplicates: 0 });
    // Another tenant's repository with this build's tag is not this build's image.
    const elsewhere = await notify(distributionPush('dangus-zzzzzz-other/web', build.sha, digest())).expect(200);
    expect(elsewhere.body).toEqual({ pushes: 1, matched: 0, duplicates: 0 });
    // A blob push and a pull carry no image tag: passed over, not recorded.
    const blob = distributionPush(build.repository, build.sha, digest()) as { events: { target: Record<string, unknown>; action: string }[] };
    blob.events[0]!.target.mediaType = 'application/octet-stream';
    delete blob.events[0]!.target.tag;
    expect((await notify(blob).expect(200)).body).toEqual({ pushes: 0, matched: 0, duplicates: 0 });

    expect(kicked).toEqual([]);
    const recorded = await events();
    expect(recorded.filter((e) => e.tag === otherTag)).toEqual([expect.objectContaining({ deployment_id: null, outcome: 'unknown' })]);
    expect(recorded.filter((e) => e.tag === build.sha)).toEqual([expect.objectContaining({ deployment_id: null, outcome: 'unknown' })]);
    const [row] = await t.db.query<{ status: string }[]>(`SELECT status FROM deployments WHERE id = $1`, [build.deploymentId]);
    expect(row?.status).toBe('pending');
  });

  it('matches Harbor\'s artifact push webhook the same way', async () => {
    const build = await pendingBuild('harbor');
    const pushed = digest();
    kicked.length = 0;

    const answer = await notify(harborPush(build.repository, build.sha, pushed), { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' }).expect(200);

    expect(answer.body).toEqual({ pushes: 1, matched: 1, duplicates: 0 });
    expect(kicked).toEqual([build.deploymentId]);
    expect((await events()).filter((e) => e.tag === build.sha)).toEqual([
      { deployment_id: build.deploymentId, outcome: 'matched', digest: pushed, tag: build.sha, source: 'harbor' },
    ]);
  });

  it('answers bad input with 400 naming the field, and a body that is not JSON with 415', async () => {
    const build = await pendingBuild('bad');
    const body = distributionPush(build.repository, build.sha, 'sha256:not-a-digest') as { events: { target: { repository: string } }[] };
    body.events[0]!.target.repository = 'Bad/../Repo';
    const bad = await notify(body).expect(400);
    expect(Object.keys(bad.body.error.fields as Record<string, string[]>).sort()).toEqual(['events.0.target.digest', 'events.0.target.repository']);
    const shapeless = await notify({ hello: 'world' }).expect(400);
    expect(shapeless.body.error.fields).toHaveProperty('events');
    await notify(body, { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'text/plain' }).expect(415);
    expect((await events()).filter((e) => e.tag === build.sha)).toEqual([]);
  });
});

describe('the registry push notification, switched off or with a shared robot', () => {
  it('is 404 without a token', async () => {
    const t = await startTestPlatform({});
    try {
      await request(t.app).post('/webhooks/registry').set({ Authorization: 'Bearer anything-at-all-long', 'Content-Type': ENVELOPE }).send('{}').expect(404);
    } finally {
      await t.close();
    }
  });

  it('does not end a build on the registry\'s word when every tenant shares one robot', async () => {
    const t = await startTestPlatform({ HARBOR_USERNAME: 'robot$shared', HARBOR_PASSWORD: 'shared-secret', REGISTRY_WEBHOOK_TOKEN: TOKEN });
    try {
      const kicked: string[] = [];
      t.ctx.pipeline = { kick: (ids) => kicked.push(...ids) };
      const cookie = await t.signIn('octocat', 4242);
      const api = (path: string) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
      const project = await api('/projects').send({ name: 'shared' }).expect(201);
      const service = await api(`/projects/${project.body.id as string}/services`).send({ name: 'web', repoUrl: 'https://github.com/octocat/shared', port: 8080 }).expect(201);
      const shown = await request(t.app).get(`/api/services/${service.body.id as string}`).set('Cookie', cookie).expect(200);
      const sha = randomSha();
      const push = JSON.stringify(pushPayload({ repo: 'octocat/shared', ref: 'refs/heads/main', after: sha }));
      await request(t.app).post(`/webhooks/github/${service.body.id as string}`).set(deliveryHeaders(shown.body.webhookSecret as string, push, 'push')).set('Content-Type', 'application/json').send(push).expect(202);
      kicked.length = 0;

      const answer = await request(t.app)
        .post('/webhooks/registry')
        .set({ Authorization: `Bearer ${TOKEN}`, 'Content-Type': ENVELOPE })
        .send(JSON.stringify(distributionPush(`dangus/${project.body.namespace as string}/web`, sha, digest())))
        .expect(200);

      expect(answer.body).toEqual({ pushes: 1, matched: 0, duplicates: 0 });
      expect(kicked).toEqual([]);
      const rows = await t.db.query<{ outcome: string }[]>(`SELECT outcome FROM registry_events WHERE tag = $1`, [sha]);
      expect(rows).toEqual([{ outcome: 'unknown' }]);
    } finally {
      await t.close();
    }
  });
});
