import type { Server } from 'node:http';
import request from 'supertest';
import { listen } from '../src/server.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

/**
 * The SSE endpoints without a cluster: rows written as the pipeline writes them,
 * events published on the bus the pipeline publishes on.
 */
describe('server-sent events', () => {
  let t: TestPlatform;
  let server: Server;
  let origin: string;
  let cookie: string;
  let serviceId: string;

  beforeAll(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('streamer', 4242);
    const project = await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'logs' }).expect(201);
    const service = await request(t.app)
      .post(`/api/projects/${project.body.id as string}/services`)
      .set({ Cookie: cookie, Origin: ORIGIN })
      .send({ name: 'web', repoUrl: 'https://github.com/streamer/web', port: 80 })
      .expect(201);
    serviceId = service.body.id as string;
    server = await listen(t.app, '127.0.0.1', 0);
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === 'object' && address ? String(address.port) : '0'}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await t.close();
  });

  async function deploymentRow(status: string, log: string | null): Promise<string> {
    const rows: { id: string }[] = await t.db.query(
      `INSERT INTO deployments (service_id, commit_sha, status, build_logs) VALUES ($1, $2, $3, $4) RETURNING id`,
      [serviceId, 'a'.repeat(40), status, log],
    );
    return rows[0]?.id ?? '';
  }

  type Message = { event: string; id?: string; data: string };

  /** Opens an SSE stream: `next()` gives its messages one at a time (undefined once it ended). */
  async function follow(path: string, headers: Record<string, string>) {
    const controller = new AbortController();
    const res = await fetch(`${origin}${path}`, { headers: { Cookie: cookie, ...headers }, signal: controller.signal });
    const reader = res.status === 200 ? res.body?.getReader() : undefined;
    const queue: Message[] = [];
    let buffer = '';
    const next = async (): Promise<Message | undefined> => {
      while (queue.length === 0) {
        if (!reader) return undefined;
        const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
        if (chunk.done) return undefined;
        buffer += Buffer.from(chunk.value ?? new Uint8Array()).toString();
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, cut).split('\n').filter((line) => line !== '' && !line.startsWith(':') && !line.startsWith('retry:'));
          buffer = buffer.slice(cut + 2);
          if (block.length === 0) continue;
          const field = (name: string) => block.filter((l) => l.startsWith(`${name}: `)).map((l) => l.slice(name.length + 2));
          queue.push({ event: field('event')[0] ?? '', ...(field('id')[0] === undefined ? {} : { id: field('id')[0] }), data: field('data').join('\n') });
        }
      }
      return queue.shift();
    };
    return { res, next, close: () => controller.abort() };
  }

  /** Reads SSE messages until `end` (or `count` messages); aborts after that. */
  async function read(path: string, headers: Record<string, string>, count = Infinity) {
    const { res, next, close } = await follow(path, headers);
    const messages: Message[] = [];
    if (res.status !== 200 || !res.body) return { status: res.status, type: res.headers.get('content-type'), messages, body: await res.text() };
    while (messages.length < count && messages.at(-1)?.event !== 'end') {
      const message = await next();
      if (!message) break;
      messages.push(message);
    }
    close();
    return { status: res.status, type: res.headers.get('content-type'), messages, body: '' };
  }

  async function userId(login: string): Promise<string> {
    const rows: { id: string }[] = await t.db.query(`SELECT id FROM users WHERE github_username = $1`, [login]);
    return rows[0]?.id ?? '';
  }

  it('a finished build: the stored log in one message whose id is its length, then end', async () => {
    const log = 'Step 1/2 : FROM node:24\r\nStep 2/2 : RUN npm ci\n\nlast line without newline';
    const id = await deploymentRow('live', log);
    const { status, type, messages } = await read(`/api/deployments/${id}/logs/stream`, {});
    expect(status).toBe(200);
    expect(type).toBe('text/event-stream; charset=utf-8');
    // CR LF arrives as LF (SSE would split on a bare CR anyway); everything else byte for byte.
    expect(messages).toEqual([
      { event: 'log', id: String(log.length), data: log.replace('\r\n', '\n') },
      { event: 'end', data: '' },
    ]);
  });

  it.each([
    ['the middle of the log', '10', 'ine two\nline three\n'],
    ['the start', '0', 'line one\nline two\nline three\n'],
    ['past the end', '999999', ''],
    ['negative', '-5', 'line one\nline two\nline three\n'],
    ['not a number', 'abc', 'line one\nline two\nline three\n'],
    ['absurdly long', '9'.repeat(400), 'line one\nline two\nline three\n'],
    ['a float', '3.5', 'line one\nline two\nline three\n'],
  ])('Last-Event-ID at %s (%s) resumes from there', async (_what, lastEventId, expected) => {
    const id = await deploymentRow('failed', 'line one\nline two\nline three\n');
    const { messages } = await read(`/api/deployments/${id}/logs/stream`, { 'Last-Event-ID': lastEventId });
    expect(messages.filter((m) => m.event === 'log').map((m) => m.data).join('')).toBe(expected);
    expect(messages.at(-1)?.event).toBe('end');
  });

  it('a running build: stored text first, then each piece the pipeline publishes, then end', async () => {
    const id = await deploymentRow('building', 'first\n');
    const stream = await follow(`/api/deployments/${id}/logs/stream`, {});
    // The stored text is sent once the stream has subscribed to the pipeline's pieces.
    expect(await stream.next()).toEqual({ event: 'log', id: '6', data: 'first\n' });
    await t.db.query(`UPDATE deployments SET build_logs = build_logs || 'second\n' WHERE id = $1`, [id]);
    t.events.logAppended({ deploymentId: id, offset: 6, text: 'second\n' });
    // A piece already sent (a second process's copy) is not sent twice.
    t.events.logAppended({ deploymentId: id, offset: 0, text: 'first\n' });
    await t.db.query(`UPDATE deployments SET status = 'deploying' WHERE id = $1`, [id]);
    t.events.logEnded({ deploymentId: id });
    expect(await stream.next()).toEqual({ event: 'log', id: '13', data: 'second\n' });
    expect(await stream.next()).toEqual({ event: 'end', data: '' });
    expect(await stream.next()).toBeUndefined();
  });

  it('refuses without a session, and for an unknown or malformed id with a JSON 404 before any stream', async () => {
    const id = await deploymentRow('live', 'x\n');
    await request(t.app).get(`/api/deployments/${id}/logs/stream`).expect(401);
    await request(t.app).get('/api/events').expect(401);
    for (const bad of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'a'.repeat(5000), "1' OR '1'='1"]) {
      const res = await request(t.app).get(`/api/deployments/${encodeURIComponent(bad)}/logs/stream`).set('Cookie', cookie);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
  });

  it('a stream ends at once when its session logs out', async () => {
    const session = await t.signIn('leaver', 4545);
    const leaver = await userId('leaver');
    const stream = read('/api/events', { Cookie: session });
    // The stream follows the user's events once it watches its session: it is fully open.
    await t.events.deploymentSubscribers(leaver);
    await request(t.app).post('/auth/logout').set({ Cookie: session, Origin: ORIGIN }).expect(204);
    // Ended by the logout itself, before its answer: not at the next periodic session check.
    expect(t.events.deploymentFollowers(leaver)).toBe(0);
    expect(await stream).toEqual(expect.objectContaining({ status: 200, messages: [] }));
  });

  it('a watched session that another process deleted is found gone at the next check', async () => {
    const session = await t.signIn('revoked-elsewhere', 4646);
    const token = /__Host-dangus_session=([^;]+)|dangus_session=([^;]+)/.exec(session);
    const value = token?.[1] ?? token?.[2] ?? '';
    expect(value).not.toBe('');
    const ended = new Promise<string>((resolve) => t.sessions.watch(value, () => resolve('ended'), 50));
    await t.db.query(`DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE github_username = 'revoked-elsewhere')`);
    expect(await ended).toBe('ended');
  });

  it('/api/events sends the changes of the user\'s own deployments only', async () => {
    const other = await t.signIn('someone-else', 4343);
    const me = await userId('streamer');
    const them = await userId('someone-else');
    const mine = read('/api/events', {}, 1);
    const theirs = read('/api/events', { Cookie: other }, 1);
    await Promise.all([t.events.deploymentSubscribers(me), t.events.deploymentSubscribers(them)]);
    const dto = { id: 'd1', serviceId, commitSha: 'a'.repeat(40), status: 'live' as const, createdAt: '', commitMessage: null, trigger: 'push' as const, imageTag: null, imageDigest: null, reason: null, updatedAt: '', finishedAt: null, rollbackOf: null, restorable: false, imageDeleted: false };
    t.events.deploymentChanged({ userId: them, deployment: { ...dto, id: 'theirs' } });
    t.events.deploymentChanged({ userId: me, deployment: dto });
    // Through PostgreSQL, as in production: each event carries its id (a resumed stream's Last-Event-ID).
    const received = (await mine).messages;
    expect(received.map((m) => ({ event: m.event, data: JSON.parse(m.data) as unknown }))).toEqual([{ event: 'deployment', data: dto }]);
    expect(received[0]?.id).toMatch(/^\d+$/);
    expect(JSON.parse((await theirs).messages[0]?.data ?? '{}')).toEqual(expect.objectContaining({ id: 'theirs' }));
  });
});
