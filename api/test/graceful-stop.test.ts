// The HTTP side of a graceful stop (docs/architecture.md, "Graceful stops"), as
// main.ts starts it on SIGTERM: readiness goes false at once, live streams end with
// a short retry hint, and a request already in flight still gets its answer.
import type { Server } from 'node:http';
import request from 'supertest';
import { listen } from '../src/server.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { RowLockBarrier } from './support/row-lock.js';

describe('a graceful stop', () => {
  let t: TestPlatform;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    t = await startTestPlatform();
    server = await listen(t.app, '127.0.0.1', 0);
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? String(address.port) : '0'}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  it('answers /readyz 503 while it drains, ends live streams with a retry hint, and lets a request in flight finish', async () => {
    const cookie = await t.signIn('stopper', 4242);
    const [user] = await t.db.query<{ id: string }[]>(`SELECT id FROM users WHERE github_username = 'stopper'`);
    const userId = user?.id ?? '';
    const ready = await fetch(`${origin}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);

    // A live stream, subscribed.
    const stream = fetch(`${origin}/api/events`, { headers: { Cookie: cookie } }).then(async (res) => ({ status: res.status, text: await res.text() }));
    await t.events.deploymentSubscribers(userId);
    // A request in flight: a project creation waiting on its owner's row, which the test holds.
    const barrier = await RowLockBarrier.hold(t.db, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    const creation = request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'inflight' }).then((res) => res);
    await barrier.waiters(1, [creation]);

    let drained: { unfinished: number } | undefined;
    const draining = t.drain.drain(30_000).then((result) => (drained = result));

    const probe = await fetch(`${origin}/readyz`);
    expect(probe.status).toBe(503);
    expect(await probe.json()).toEqual({ status: 'draining', reason: 'The process is shutting down.' });
    expect(probe.headers.get('connection')).toBe('close');
    // The stream ended at the start of the drain, telling the browser to come back in 250 ms (elsewhere).
    const ended = await stream;
    expect(ended.status).toBe(200);
    expect(ended.text.endsWith('retry: 250\n\n')).toBe(true);
    // The drain waits for the request in flight: it has not resolved while the request waits.
    expect(drained).toBeUndefined();

    await barrier.release();
    expect((await creation).status).toBe(201);
    expect(await draining).toEqual({ unfinished: 0 });
    expect(await t.db.query(`SELECT name FROM projects WHERE user_id = $1`, [userId])).toEqual([{ name: 'inflight' }]);
    // Still not ready once the requests are done: the process is on its way out.
    expect((await fetch(`${origin}/readyz`)).status).toBe(503);
  });
});
