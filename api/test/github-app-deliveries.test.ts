import request from 'supertest';
import { connect, post } from './support/github-app-flow.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

/* The App webhook's deliveries for admins, and "Redeliver" through GitHub's redelivery API. */
describe('the GitHub App\'s deliveries', () => {
  let t: TestPlatform;
  let admin: string;
  beforeEach(async () => {
    t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'root' });
    admin = await t.signIn('root', 1);
  });
  afterEach(async () => {
    await t.close();
  });

  it('lists what each delivery did, newest first, to admins only', async () => {
    const app = await connect(t, admin);
    const repo = t.github.app.addRepository('octocat/one');
    const { installation, delivery } = t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]);
    await post(t, delivery).expect(200);
    const elsewhere = t.github.app.install(app, { login: 'acme', id: 77, type: 'Organization' }, 'all');
    await post(t, t.github.app.changeRepositories(elsewhere.installation, { remove: [] })).expect(202);

    const listed = await request(t.app).get('/api/system/github-app/deliveries').set('Cookie', admin).expect(200);
    expect((listed.body as Record<string, unknown>[]).map(({ deliveryId, event, action, installationId, outcome, reason }) => ({ deliveryId, event, action, installationId, outcome, reason }))).toEqual([
      { deliveryId: expect.any(String) as unknown, event: 'installation_repositories', action: 'removed', installationId: elsewhere.installation.id, outcome: 'ignored', reason: 'unknown installation' },
      { deliveryId: delivery.id, event: 'installation', action: 'created', installationId: installation.id, outcome: 'applied', reason: 'installation created' },
    ]);
    const member = await t.signIn('octocat', 4242);
    await request(t.app).get('/api/system/github-app/deliveries').set('Cookie', member).expect(403);
    await request(t.app).post(`/api/system/github-app/deliveries/${String((listed.body as { id: string }[])[1]?.id)}/redeliver`).set('Cookie', member).set('Origin', ORIGIN).expect(403);
  });

  it('asks GitHub to send a delivery again, which then arrives and is recorded again', async () => {
    const app = await connect(t, admin);
    const repo = t.github.app.addRepository('octocat/one');
    const { delivery } = t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]);
    // Many deliveries later, the one to send again is on GitHub's second page.
    for (let i = 0; i < 120; i += 1) t.github.app.deliver(app, 'ping', { zen: String(i), hook_id: 1 });
    await post(t, delivery).expect(200);
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id::text FROM github_app_deliveries WHERE delivery_id = $1`, [delivery.id]);

    const asked = await request(t.app).post(`/api/system/github-app/deliveries/${row?.id ?? ''}/redeliver`).set('Cookie', admin).set('Origin', ORIGIN).expect(202);
    expect(asked.body).toEqual({ redelivered: true, deliveryId: delivery.id });
    const logged = t.github.app.hookDeliveries.find((d) => d.delivery.id === delivery.id && !d.redelivery);
    expect(t.github.app.redeliveries).toEqual([logged?.id]);

    // GitHub sends it again, same GUID: the platform records it again, with what it did then.
    await post(t, delivery).expect(200);
    const again = await request(t.app).get('/api/system/github-app/deliveries').set('Cookie', admin).expect(200);
    expect((again.body as { deliveryId: string }[]).filter((d) => d.deliveryId === delivery.id)).toHaveLength(2);
  });

  it('says why a delivery cannot be sent again, and changes nothing', async () => {
    const app = await connect(t, admin);
    const repo = t.github.app.addRepository('octocat/one');
    const { delivery } = t.github.app.install(app, { login: 'octocat', id: 4242, type: 'User' }, [repo]);
    await post(t, delivery).expect(200);
    const [row] = await t.db.query<{ id: string }[]>(`SELECT id::text FROM github_app_deliveries WHERE delivery_id = $1`, [delivery.id]);
    // GitHub has forgotten it (older than three days).
    t.github.app.hookDeliveries.length = 0;
    const gone = await request(t.app).post(`/api/system/github-app/deliveries/${row?.id ?? ''}/redeliver`).set('Cookie', admin).set('Origin', ORIGIN).expect(409);
    expect((gone.body as { error: { message: string } }).error.message).toBe('GitHub no longer has this delivery (it keeps them for three days): it cannot be sent again.');
    await request(t.app).post('/api/system/github-app/deliveries/999999/redeliver').set('Cookie', admin).set('Origin', ORIGIN).expect(404);
    await request(t.app).post('/api/system/github-app/deliveries/not-a-number/redeliver').set('Cookie', admin).set('Origin', ORIGIN).expect(404);
    expect(t.github.app.redeliveries).toEqual([]);
  });
});
