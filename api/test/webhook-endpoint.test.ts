// The webhook endpoint as anyone on the internet can reach it: bodies that are
// never sent, trickled, or sent by the thousand. Raw sockets, so the test controls
// exactly which bytes have been sent when the answer comes.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pushPayload, sign } from './support/webhook-payloads.js';

const MB = 1024 * 1024;
const BODY_TIMEOUT_MS = 1_000;

interface Answer {
  status: string;
  /** The socket, for tests that watch what happens to it after the answer. */
  socket: Socket;
}

describe('the webhook endpoint facing the internet', () => {
  let t: TestPlatform;
  let server: Server;
  let serviceId: string;
  let secret: string;
  /** The refusal limiter's clock, moved by hand: refill is counted in it, not in real time. */
  let clock = 1_000_000;

  beforeAll(async () => {
    t = await startTestPlatform({}, { webhooks: { bodyTimeoutMs: BODY_TIMEOUT_MS, refusalClock: () => clock } });
    server = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const cookie = await t.signIn('octocat', 4242);
    const api = (path: string) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN);
    const project = await api('/projects').send({ name: 'internet' }).expect(201);
    const service = await api(`/projects/${project.body.id as string}/services`)
      .send({ name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 })
      .expect(201);
    serviceId = service.body.id as string;
    const shown = await request(t.app).get(`/api/services/${serviceId}`).set('Cookie', cookie).expect(200);
    secret = shown.body.webhookSecret as string;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  /** Sends the head of a request and `bodyStart` of its body, then waits for the status line; the rest is never sent. */
  function sendHead(path: string, headers: Record<string, string>, bodyStart: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        if (answer.includes('\r\n')) resolve({ status: answer.split('\r\n')[0]!, socket });
      });
      socket.on('error', reject);
      const head = Object.entries({ Host: 'x', ...headers })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`POST ${path} HTTP/1.1\r\n${head}\r\n${bodyStart}`);
    });
  }

  const closed = (socket: Socket) => new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

  async function rejectedRows(): Promise<number> {
    const [row] = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE service_id = $1 AND outcome = 'rejected'`, [serviceId]);
    return row!.n;
  }

  it('when the service is unknown, then 404 before a byte of the 25 MB body is read, and the connection is closed', async () => {
    const answer = await sendHead(
      `/webhooks/github/${randomUUID()}`,
      { 'Content-Type': 'application/json', 'Content-Length': String(25 * MB), 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` },
      '{',
    );
    expect(answer.status).toBe('HTTP/1.1 404 Not Found');
    await closed(answer.socket);
  });

  it('when a known service gets no signature header, then 401 before the body is read, recorded as rejected', async () => {
    const before = await rejectedRows();
    const answer = await sendHead(
      `/webhooks/github/${serviceId}`,
      { 'Content-Type': 'application/json', 'Content-Length': String(25 * MB), 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': randomUUID() },
      '{',
    );
    expect(answer.status).toBe('HTTP/1.1 401 Unauthorized');
    expect(await rejectedRows()).toBe(before + 1);
    await closed(answer.socket);
  });

  it('when the declared length is over 25 MB, then 413 before the body is read', async () => {
    const answer = await sendHead(
      `/webhooks/github/${serviceId}`,
      { 'Content-Type': 'application/json', 'Content-Length': String(25 * MB + 1), 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` },
      '',
    );
    expect(answer.status).toBe('HTTP/1.1 413 Payload Too Large');
    answer.socket.destroy();
  });

  it('when a signed body trickles in slower than the timeout, then 408 and the connection is cut', async () => {
    const body = JSON.stringify(pushPayload({ repo: 'acme/web', ref: 'refs/heads/main' }));
    const answer = await sendHead(`/webhooks/github/${serviceId}`, { ...deliveryHeaders(secret, body, 'push'), 'Content-Length': String(Buffer.byteLength(body)) }, body.slice(0, 10));
    expect(answer.status).toBe('HTTP/1.1 408 Request Timeout');
    await closed(answer.socket);
    const [row] = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM deployments WHERE service_id = $1`, [serviceId]);
    expect(row!.n).toBe(0);
  });

  it('answers a flood of 300 forged deliveries with 401 each, writes exactly the burst of 120 rows, then 2 a second, and keeps building genuine pushes', async () => {
    // Every written refusal row is counted here, whatever the prune deletes later.
    await t.db.query(`CREATE TABLE test_refusals_written (service_id uuid NOT NULL)`);
    await t.db.query(`
      CREATE FUNCTION test_count_refusal() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN INSERT INTO test_refusals_written VALUES (NEW.service_id); RETURN NEW; END $$`);
    await t.db.query(`
      CREATE TRIGGER test_count_refusal AFTER INSERT ON webhook_deliveries
      FOR EACH ROW WHEN (NEW.outcome = 'rejected') EXECUTE FUNCTION test_count_refusal()`);
    const written = async () => {
      const [row] = await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM test_refusals_written WHERE service_id = $1`, [serviceId]);
      return row!.n;
    };
    const forged = JSON.stringify(pushPayload({ repo: 'acme/web', ref: 'refs/heads/main' }));
    const forge = async (count: number) => {
      const answers = await Promise.all(
        Array.from({ length: count }, () =>
          request(server)
            .post(`/webhooks/github/${serviceId}`)
            .set({ ...deliveryHeaders('not-the-secret', forged, 'push') })
            .send(forged),
        ),
      );
      return answers.map((a) => a.status);
    };

    // The earlier tests took tokens: a quiet minute fills the bucket to its burst, no further.
    clock += 60_000;
    const statuses: number[] = [];
    for (let batch = 0; batch < 10; batch++) statuses.push(...(await forge(30)));
    expect(statuses).toEqual(Array.from({ length: 300 }, () => 401));
    expect(await written()).toBe(120);
    // Of those the newest 100 are kept.
    expect(await rejectedRows()).toBe(100);

    // Ten seconds at 2 a second: 20 more are written of 30, none beyond.
    clock += 10_000;
    expect(await forge(30)).toEqual(Array.from({ length: 30 }, () => 401));
    expect(await written()).toBe(140);
    // Half a second refills one token, not a millisecond earlier.
    clock += 499;
    expect(await forge(1)).toEqual([401]);
    expect(await written()).toBe(140);
    clock += 1;
    expect(await forge(2)).toEqual([401, 401]);
    expect(await written()).toBe(141);
    expect(await rejectedRows()).toBe(100);

    const genuine = JSON.stringify(pushPayload({ repo: 'acme/web', ref: 'refs/heads/main' }));
    const res = await request(server).post(`/webhooks/github/${serviceId}`).set(deliveryHeaders(secret, genuine, 'push')).send(genuine).expect(202);
    expect(res.body.outcome).toBe('deployed');
  });

  it('when a signature is not sha256 and 64 hex digits, then 401 "does not match" without reading the body', async () => {
    const answer = await sendHead(
      `/webhooks/github/${serviceId}`,
      { 'Content-Type': 'application/json', 'Content-Length': String(MB), 'X-Hub-Signature-256': sign(secret, 'x').replace('sha256=', 'sha1=') },
      '{',
    );
    expect(answer.status).toBe('HTTP/1.1 401 Unauthorized');
    answer.socket.destroy();
  });
});
