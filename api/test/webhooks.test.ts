import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pingPayload, pushPayload, randomSha, sign } from './support/webhook-payloads.js';

interface TestService {
  id: string;
  secret: string;
  /** `owner/repo` */
  repo: string;
  branch: string;
}

interface DeliveryRow {
  delivery_id: string;
  event: string;
  outcome: string;
  reason: string | null;
  status_code: number;
  deployment_id: string | null;
  response: Record<string, unknown>;
}

interface DeploymentRow {
  id: string;
  commit_sha: string;
  commit_message: string | null;
  trigger: string;
  status: string;
  reason: string | null;
}

const MB = 1024 * 1024;

describe('the GitHub webhook', () => {
  let t: TestPlatform;
  let cookie: string;
  let serial = 0;

  const post = (path: string, body: unknown) =>
    request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body as object);

  beforeAll(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn('octocat', 4242);
  });
  afterAll(async () => {
    await t.close();
  });

  /**
   * A new service of octocat, in a project of its own (a project's quota holds a few
   * services); its secret is read back through the API, as a user would.
   */
  async function newService(options: { branch?: string } = {}): Promise<TestService> {
    const name = `web${++serial}`;
    const project = (await post('/projects', { name: `hooks${String(serial)}` }).expect(201)).body.id as string;
    const created = await post(`/projects/${project}/services`, {
      name,
      repoUrl: `https://github.com/acme/${name}`,
      port: 8080,
      ...(options.branch ? { branch: options.branch } : {}),
    }).expect(201);
    const shown = await request(t.app).get(`/api/services/${created.body.id as string}`).set('Cookie', cookie).expect(200);
    return { id: shown.body.id, secret: shown.body.webhookSecret, repo: `acme/${name}`, branch: shown.body.branch };
  }

  /** Posts `body` as GitHub would: signed with `service`'s secret unless `headers` say otherwise. */
  function deliver(service: TestService, event: string, body: string | Buffer, headers: Record<string, string> = {}) {
    return request(t.app)
      .post(`/webhooks/github/${service.id}`)
      .set({ ...deliveryHeaders(service.secret, body, event), ...headers })
      // Bytes as they are: superagent would otherwise JSON-encode a Buffer.
      .serialize((data: string) => data)
      .send(body);
  }

  const push = (
    service: TestService,
    options: { ref?: string; after?: string; message?: string; deleted?: boolean; repo?: string; pushedAt?: number } = {},
  ) =>
    JSON.stringify(pushPayload({ repo: service.repo, ref: `refs/heads/${service.branch}`, ...options }));

  async function deliveries(service: TestService): Promise<DeliveryRow[]> {
    return t.db.query(
      `SELECT delivery_id, event, outcome, reason, status_code, deployment_id, response FROM webhook_deliveries
        WHERE service_id = $1 ORDER BY received_at, id`,
      [service.id],
    );
  }

  async function deployments(service: TestService): Promise<DeploymentRow[]> {
    return t.db.query(
      `SELECT id, commit_sha, commit_message, trigger, status, reason FROM deployments WHERE service_id = $1 ORDER BY created_at, id`,
      [service.id],
    );
  }

  describe('a push to the service\'s branch', () => {
    it('answers 202 with a pending deployment of the pushed commit, recorded with the delivery', async () => {
      const service = await newService();
      const sha = randomSha();
      const deliveryId = randomUUID();
      const res = await deliver(service, 'push', push(service, { after: sha, message: 'Ship it' }), { 'X-GitHub-Delivery': deliveryId }).expect(202);

      expect(res.body).toEqual({
        outcome: 'deployed',
        reason: `push of ${sha.slice(0, 7)} to branch "main"`,
        deploymentId: expect.any(String),
        status: 'pending',
        commitSha: sha,
      });
      expect(await deployments(service)).toEqual([
        { id: res.body.deploymentId, commit_sha: sha, commit_message: 'Ship it', trigger: 'push', status: 'pending', reason: null },
      ]);
      expect(await deliveries(service)).toEqual([
        {
          delivery_id: deliveryId,
          event: 'push',
          outcome: 'deployed',
          reason: `push of ${sha.slice(0, 7)} to branch "main"`,
          status_code: 202,
          deployment_id: res.body.deploymentId,
          response: res.body,
        },
      ]);
    });

    it('when the same delivery comes again, then the same answer and no second build', async () => {
      const service = await newService();
      const body = push(service);
      const deliveryId = randomUUID();
      const first = await deliver(service, 'push', body, { 'X-GitHub-Delivery': deliveryId }).expect(202);
      const again = await deliver(service, 'push', body, { 'X-GitHub-Delivery': deliveryId }).expect(202);

      expect(again.body).toEqual(first.body);
      expect(await deployments(service)).toHaveLength(1);
      expect(await deliveries(service)).toHaveLength(1);
    });

    it('when ten copies of one delivery arrive at once, then one build and ten identical answers', async () => {
      const service = await newService();
      const body = push(service);
      const deliveryId = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => deliver(service, 'push', body, { 'X-GitHub-Delivery': deliveryId })),
      );

      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
      for (const answer of answers) expect(answer.body).toEqual(answers[0]!.body);
      const rows = await deployments(service);
      expect(rows).toHaveLength(1);
      expect(answers[0]!.body.deploymentId).toBe(rows[0]!.id);
      expect(await deliveries(service)).toHaveLength(1);
    });

    it('when a second push arrives, then the first build fails "superseded by <sha7>"', async () => {
      const service = await newService();
      const first = await deliver(service, 'push', push(service)).expect(202);
      const secondSha = randomSha();
      const second = await deliver(service, 'push', push(service, { after: secondSha })).expect(202);

      const rows = await deployments(service);
      expect(rows.map((r) => [r.id, r.status, r.reason])).toEqual([
        [first.body.deploymentId, 'failed', `superseded by ${secondSha.slice(0, 7)}`],
        [second.body.deploymentId, 'pending', null],
      ]);
    });

    describe('replays', () => {
      const now = Math.floor(Date.now() / 1000);

      it('when an older signed push is re-sent with a new delivery id, then 200 "stale push", recorded, and the newer build stands', async () => {
        const service = await newService();
        const oldBody = push(service, { pushedAt: now - 60 });
        await deliver(service, 'push', oldBody).expect(202);
        const newer = await deliver(service, 'push', push(service, { pushedAt: now })).expect(202);

        const replayId = randomUUID();
        const replay = await deliver(service, 'push', oldBody, { 'X-GitHub-Delivery': replayId }).expect(200);

        expect(replay.body).toEqual({ outcome: 'ignored', reason: expect.stringMatching(/^stale push: [0-9a-f]{7} was pushed at .*before the service's newest push/) as unknown });
        const rows = await deployments(service);
        expect(rows).toHaveLength(2);
        expect(rows[1]).toEqual(expect.objectContaining({ id: newer.body.deploymentId, status: 'pending' }));
        expect((await deliveries(service)).find((d) => d.delivery_id === replayId)).toEqual(
          expect.objectContaining({ outcome: 'ignored', status_code: 200, deployment_id: null, reason: expect.stringContaining('stale push') as unknown }),
        );
      });

      it('when the newest push is re-sent with a new delivery id, then it is stale too and builds nothing', async () => {
        const service = await newService();
        const body = push(service, { pushedAt: now });
        await deliver(service, 'push', body).expect(202);
        const again = await deliver(service, 'push', body, { 'X-GitHub-Delivery': randomUUID() }).expect(200);
        expect(again.body.reason).toMatch(/is already the service's newest push$/);
        expect(await deployments(service)).toHaveLength(1);
      });

      it('builds two different commits pushed within the same second', async () => {
        const service = await newService();
        await deliver(service, 'push', push(service, { pushedAt: now })).expect(202);
        await deliver(service, 'push', push(service, { pushedAt: now })).expect(202);
        expect(await deployments(service)).toHaveLength(2);
      });

      it('when a push lacks repository.pushed_at, then 400 naming the field', async () => {
        const service = await newService();
        const payload = pushPayload({ repo: service.repo, ref: 'refs/heads/main' });
        delete (payload.repository as Record<string, unknown>).pushed_at;
        const res = await deliver(service, 'push', JSON.stringify(payload)).expect(400);
        expect(res.body.error.fields).toEqual({ 'repository.pushed_at': [expect.any(String)] });
      });
    });

    it('deploys a branch whose name has slashes, and only that branch', async () => {
      const service = await newService({ branch: 'release/2025/q1' });
      await deliver(service, 'push', push(service)).expect(202);
      const parent = await deliver(service, 'push', push(service, { ref: 'refs/heads/release/2025' })).expect(200);
      const child = await deliver(service, 'push', push(service, { ref: 'refs/heads/release/2025/q1/hotfix' })).expect(200);

      expect(parent.body.reason).toBe('branch "release/2025" is not the service\'s branch "release/2025/q1"');
      expect(child.body.reason).toBe('branch "release/2025/q1/hotfix" is not the service\'s branch "release/2025/q1"');
      expect(await deployments(service)).toHaveLength(1);
    });

    it('matches the repository case-insensitively, as GitHub does', async () => {
      const service = await newService();
      await deliver(service, 'push', push(service, { repo: service.repo.toUpperCase() })).expect(202);
      expect(await deployments(service)).toHaveLength(1);
    });

    it('needs neither a session nor an Origin header, and ignores a session cookie', async () => {
      const service = await newService();
      const body = push(service);
      await request(t.app)
        .post(`/webhooks/github/${service.id}`)
        .set({ ...deliveryHeaders(service.secret, body, 'push'), Origin: 'https://evil.example', Cookie: cookie })
        .send(body)
        .expect(202);
    });
  });

  describe('what builds nothing', () => {
    it.each([
      ['another branch', { ref: 'refs/heads/dev' }, 'branch "dev" is not the service\'s branch "main"'],
      ['a tag', { ref: 'refs/tags/v1.0' }, 'tag "v1.0" is not a branch; the service deploys branch "main"'],
      ['a deleted branch', { deleted: true, after: '0'.repeat(40) }, 'branch "main" was deleted'],
      ['an all-zero after without the deleted flag', { after: '0'.repeat(40) }, 'branch "main" was deleted'],
      ['a deleted tag', { ref: 'refs/tags/v1.0', deleted: true, after: '0'.repeat(40) }, 'tag "v1.0" is not a branch; the service deploys branch "main"'],
      ['a ref that is not a branch', { ref: 'refs/pull/1/head' }, 'ref "refs/pull/1/head" is not a branch'],
      ['a ref with a newline', { ref: 'refs/heads/main\nx' }, 'branch "main\\nx" is not the service\'s branch "main"'],
      ['a ref with NUL', { ref: 'refs/heads/main\u0000' }, 'branch "main\\u0000" is not the service\'s branch "main"'],
    ])('when the push is to %s, then 200 ignored with the reason', async (_label, options, reason) => {
      const service = await newService();
      const res = await deliver(service, 'push', push(service, options)).expect(200);

      expect(res.body).toEqual({ outcome: 'ignored', reason });
      expect(await deployments(service)).toEqual([]);
      expect(await deliveries(service)).toEqual([expect.objectContaining({ outcome: 'ignored', reason, status_code: 200, deployment_id: null })]);
    });

    it('when the push is to another repository, then 200 ignored naming both', async () => {
      const service = await newService();
      const res = await deliver(service, 'push', push(service, { repo: 'other/repo' })).expect(200);
      expect(res.body).toEqual({ outcome: 'ignored', reason: `push to "other/repo", but the service builds ${service.repo}` });
      expect(await deployments(service)).toEqual([]);
    });

    it('answers a ping with 200 and says whether pushes will deploy', async () => {
      const service = await newService();
      const ok = await deliver(service, 'ping', JSON.stringify(pingPayload(service.repo, ['push']))).expect(200);
      const wildcard = await deliver(service, 'ping', JSON.stringify(pingPayload(service.repo, ['*']))).expect(200);
      const noPush = await deliver(service, 'ping', JSON.stringify(pingPayload(service.repo, ['issues']))).expect(200);

      expect(ok.body).toEqual({ outcome: 'ping', reason: 'the webhook is connected; pushes to branch "main" deploy' });
      expect(wildcard.body).toEqual(ok.body);
      expect(noPush.body.reason).toContain('choose "Just the push event"');
      expect((await deliveries(service)).map((d) => d.outcome)).toEqual(['ping', 'ping', 'ping']);
      expect(await deployments(service)).toEqual([]);
    });

    it('acknowledges other events with the reason', async () => {
      const service = await newService();
      const res = await deliver(service, 'issues', JSON.stringify({ action: 'opened' })).expect(200);
      expect(res.body).toEqual({ outcome: 'ignored', reason: 'event "issues" does not deploy; only push does' });
      expect(await deployments(service)).toEqual([]);
    });
  });

  describe('deliveries that are not from GitHub', () => {
    it.each([
      ['no signature', (_s: TestService, _other: TestService, _body: string): Record<string, string> => ({ 'X-Hub-Signature-256': '' }), 'header is missing'],
      ['a signature with a wrong secret', (_s: TestService, _o: TestService, body: string) => ({ 'X-Hub-Signature-256': sign('not-the-secret', body) }), 'does not match'],
      ['the signature of another service\'s secret', (_s: TestService, other: TestService, body: string) => ({ 'X-Hub-Signature-256': sign(other.secret, body) }), 'does not match'],
      ['the signature of another body', (s: TestService, _o: TestService, body: string) => ({ 'X-Hub-Signature-256': sign(s.secret, `${body} `) }), 'does not match'],
      ['a SHA-1 signature in place of SHA-256', (s: TestService, _o: TestService, body: string) => ({ 'X-Hub-Signature-256': sign(s.secret, body).replace('sha256=', 'sha1=') }), 'does not match'],
      ['a garbage signature', (): Record<string, string> => ({ 'X-Hub-Signature-256': `sha256=${'x'.repeat(5000)}` }), 'does not match'],
    ])('when the delivery has %s, then 401, a rejected row and no deployment', async (_label, headersFor, message) => {
      const service = await newService();
      const other = await newService();
      const body = push(service);
      const deliveryId = randomUUID();
      const res = await deliver(service, 'push', body, { ...headersFor(service, other, body), 'X-GitHub-Delivery': deliveryId }).expect(401);

      expect(res.body.error).toEqual({ code: 'unauthorized', message: expect.stringContaining(message) });
      expect(await deployments(service)).toEqual([]);
      expect(await deliveries(service)).toEqual([
        expect.objectContaining({ delivery_id: deliveryId, event: 'push', outcome: 'rejected', status_code: 401, deployment_id: null }),
      ]);
      // A forged delivery never takes the id of the genuine one.
      await deliver(service, 'push', body, { 'X-GitHub-Delivery': deliveryId }).expect(202);
      expect(await deployments(service)).toHaveLength(1);
    });

    it.each([
      ['an unknown service', () => randomUUID()],
      ['a service id that is not a uuid', () => 'not-a-uuid'],
      ['a service id with SQL in it', () => "1' OR '1'='1"],
    ])('when the URL names %s, then 404 and nothing recorded', async (_label, idOf) => {
      const service = await newService();
      const body = push(service);
      const count = async () => (await t.db.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM webhook_deliveries`))[0]!.n;
      const before = await count();
      const res = await request(t.app)
        .post(`/webhooks/github/${encodeURIComponent(idOf())}`)
        .set(deliveryHeaders(service.secret, body, 'push'))
        .send(body)
        .expect(404);
      expect(res.body.error).toEqual({ code: 'not_found', message: 'Service not found.' });
      expect(await count()).toBe(before);
    });

    it('keeps only the newest 100 rejected deliveries of a service', async () => {
      const service = await newService();
      const body = push(service);
      for (let batch = 0; batch < 11; batch++) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            deliver(service, 'push', body, { 'X-Hub-Signature-256': sign('wrong', body), 'X-GitHub-Delivery': `forged-${batch}-${i}` }).expect(401),
          ),
        );
      }
      const rows = await deliveries(service);
      expect(rows).toHaveLength(100);
      expect(rows.some((r) => r.delivery_id.startsWith('forged-10-'))).toBe(true);
    });

    it('answers a GET with 404', async () => {
      const service = await newService();
      await request(t.app).get(`/webhooks/github/${service.id}`).expect(404);
    });
  });

  describe('malformed, hostile and oversized input', () => {
    it('when the body is one byte over 25 MB, then 413 in the API\'s error shape and nothing recorded', async () => {
      const service = await newService();
      const body = Buffer.alloc(25 * MB + 1, 0x20);
      const res = await deliver(service, 'push', body).expect(413);
      expect(res.body).toEqual({ error: { code: 'payload_too_large', message: `The request body is larger than ${25 * MB} bytes.` } });
      expect(await deliveries(service)).toEqual([]);
    });

    it('accepts a genuine push of exactly 25 MB', async () => {
      const service = await newService();
      const payload = pushPayload({ repo: service.repo, ref: 'refs/heads/main' });
      const skeleton = JSON.stringify({ ...payload, padding: '' });
      const body = JSON.stringify({ ...payload, padding: 'x'.repeat(25 * MB - Buffer.byteLength(skeleton)) });
      expect(Buffer.byteLength(body)).toBe(25 * MB);
      await deliver(service, 'push', body).expect(202);
      expect(await deployments(service)).toHaveLength(1);
    });

    it('when the signed body is not JSON, then 400, recorded, and a redelivery gets the same 400', async () => {
      const service = await newService();
      const deliveryId = randomUUID();
      const first = await deliver(service, 'push', '{"ref": ', { 'X-GitHub-Delivery': deliveryId }).expect(400);
      const again = await deliver(service, 'push', '{"ref": ', { 'X-GitHub-Delivery': deliveryId }).expect(400);

      expect(first.body).toEqual({ error: { code: 'validation_failed', message: 'The body is not valid JSON.' } });
      expect(again.body).toEqual(first.body);
      expect(await deliveries(service)).toEqual([
        expect.objectContaining({ outcome: 'ignored', status_code: 400, reason: 'The body is not valid JSON.' }),
      ]);
      expect(await deployments(service)).toEqual([]);
    });

    it.each([
      ['an array', () => '[]', '_', 'The body must be a JSON object.'],
      ['a string', () => '"push"', '_', 'The body must be a JSON object.'],
      ['after that is not hex', (s: TestService) => push(s, { after: 'z'.repeat(40) }), 'after', 'The push payload lacks fields GitHub always sends.'],
      ['after in upper case', (s: TestService) => push(s, { after: 'A'.repeat(40) }), 'after', 'The push payload lacks fields GitHub always sends.'],
      ['a 64-character after', (s: TestService) => push(s, { after: 'a'.repeat(64) }), 'after', 'The push payload lacks fields GitHub always sends.'],
      ['a ref of 1 MB', (s: TestService) => push(s, { ref: `refs/heads/${'a'.repeat(MB)}` }), 'ref', 'The push payload lacks fields GitHub always sends.'],
      ['no repository', (s: TestService) => JSON.stringify({ ...JSON.parse(push(s)), repository: undefined }), 'repository', 'The push payload lacks fields GitHub always sends.'],
      ['a numeric ref', (s: TestService) => JSON.stringify({ ...JSON.parse(push(s)), ref: 42 }), 'ref', 'The push payload lacks fields GitHub always sends.'],
    ])('when the push payload has %s, then 400 naming the field, recorded, nothing built', async (_label, bodyOf, field, message) => {
      const service = await newService();
      const res = await deliver(service, 'push', bodyOf(service)).expect(400);

      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.message).toBe(message);
      if (field !== '_') expect(Object.keys(res.body.error.fields)).toEqual([field]);
      expect(await deployments(service)).toEqual([]);
      const [row] = await deliveries(service);
      expect(row).toMatchObject({ outcome: 'ignored', status_code: 400, response: res.body });
      expect(row!.reason!.length).toBeLessThanOrEqual(1000);
    });

    it('keeps a 1 MB commit message to its first 10,000 characters', async () => {
      const service = await newService();
      await deliver(service, 'push', push(service, { message: 'm'.repeat(MB) })).expect(202);
      const [row] = await deployments(service);
      expect(row!.commit_message).toBe('m'.repeat(10_000));
    });

    it('stores a commit message with NUL, newlines and emoji, minus the NUL', async () => {
      const service = await newService();
      await deliver(service, 'push', push(service, { message: 'fix\u0000: "quotes"\n\n<script>😀' })).expect(202);
      const [row] = await deployments(service);
      expect(row!.commit_message).toBe('fix: "quotes"\n\n<script>😀');
    });

    it('ignores a __proto__ key in the payload', async () => {
      const service = await newService();
      const body = push(service).replace('{', '{"__proto__": {"ref": "refs/heads/evil"}, ');
      const res = await deliver(service, 'push', body).expect(202);
      expect(res.body.outcome).toBe('deployed');
    });

    it('when the content type is form-encoded, then 415 telling to choose application/json, recorded as rejected', async () => {
      const service = await newService();
      const body = `payload=${encodeURIComponent(push(service))}`;
      const res = await deliver(service, 'push', body, { 'Content-Type': 'application/x-www-form-urlencoded' }).expect(415);

      expect(res.body.error).toEqual({
        code: 'unsupported_media_type',
        message: 'The content type is "application/x-www-form-urlencoded": choose "application/json" as the webhook\'s Content type on GitHub.',
      });
      expect(await deliveries(service)).toEqual([expect.objectContaining({ outcome: 'rejected', status_code: 415 })]);
      expect(await deployments(service)).toEqual([]);
    });

    it('accepts application/json with a charset', async () => {
      const service = await newService();
      await deliver(service, 'push', push(service), { 'Content-Type': 'application/json; charset=utf-8' }).expect(202);
    });

    it('when the body is compressed, then 415 and nothing recorded', async () => {
      const service = await newService();
      const res = await deliver(service, 'push', push(service), { 'Content-Encoding': 'gzip' }).expect(415);
      expect(res.body.error.code).toBe('unsupported_media_type');
      expect(await deliveries(service)).toEqual([]);
    });

    it('when the signed body is not UTF-8, then 401 and a rejected row', async () => {
      const service = await newService();
      const body = Buffer.concat([Buffer.from('{"ref": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
      const res = await deliver(service, 'push', body).expect(401);
      expect(res.body.error.message).toContain('not UTF-8');
      expect(await deliveries(service)).toEqual([expect.objectContaining({ outcome: 'rejected', status_code: 401 })]);
    });

    it('when the body is empty, then 401 and a rejected row', async () => {
      const service = await newService();
      const res = await request(t.app)
        .post(`/webhooks/github/${service.id}`)
        .set({ ...deliveryHeaders(service.secret, '', 'push') })
        .expect(401);
      expect(res.body.error.message).toContain('no body');
    });

    it.each([
      ['no X-GitHub-Event', { 'X-GitHub-Event': '' }, 'The X-GitHub-Event header is missing.', ''],
      ['an event of 10,000 characters', { 'X-GitHub-Event': 'p'.repeat(10_000) }, 'X-GitHub-Event header is not a GitHub event name', 'p'.repeat(100)],
      ['an event with spaces and quotes', { 'X-GitHub-Event': 'push" OR 1=1' }, 'X-GitHub-Event header is not a GitHub event name', 'push" OR 1=1'],
      ['no X-GitHub-Delivery', { 'X-GitHub-Delivery': '' }, 'The X-GitHub-Delivery header is missing.', 'push'],
      ['a delivery id of 101 characters', { 'X-GitHub-Delivery': 'd'.repeat(101) }, 'X-GitHub-Delivery header is not a delivery id', 'push'],
      ['a delivery id with a tab', { 'X-GitHub-Delivery': 'abc\tdef' }, 'X-GitHub-Delivery header is not a delivery id', 'push'],
      ['a delivery id with Latin-1 bytes', { 'X-GitHub-Delivery': 'caf\u00e9' }, 'X-GitHub-Delivery header is not a delivery id', 'push'],
      ['a delivery id with a path', { 'X-GitHub-Delivery': '../../etc/passwd' }, 'X-GitHub-Delivery header is not a delivery id', 'push'],
    ])('when a signed delivery has %s, then 400 with a clear message and a printable rejected row', async (_label, headers, message, storedEvent) => {
      const service = await newService();
      const res = await deliver(service, 'push', push(service), headers).expect(400);

      expect(res.body.error).toEqual({ code: 'validation_failed', message: expect.stringContaining(message) });
      const rows = await deliveries(service);
      expect(rows).toEqual([expect.objectContaining({ outcome: 'rejected', status_code: 400, event: storedEvent })]);
      expect(rows[0]!.delivery_id).toMatch(/^[\x20-\x7e]{0,100}$/);
      expect(await deployments(service)).toEqual([]);
    });

    describe('header values Node refuses before the api sees them', () => {
      let server: Server;
      beforeAll(async () => {
        server = createServer(t.app);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      });
      afterAll(async () => {
        await new Promise((resolve) => server.close(resolve));
      });

      /** Sends a request with raw bytes in a header (clients refuse to), returns the status line. */
      function rawRequest(path: string, header: string): Promise<string> {
        return new Promise((resolve, reject) => {
          const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
          let answer = '';
          // The status line is the answer: Node 24 resets the socket right after a 431
          // (it still had request bytes unread), so take the line as soon as it is whole.
          socket.on('data', (chunk) => {
            answer += chunk.toString('latin1');
            if (answer.includes('\r\n')) {
              resolve(answer.split('\r\n')[0]!);
              socket.destroy();
            }
          });
          socket.on('end', () => resolve(answer.split('\r\n')[0] ?? ''));
          socket.on('error', (error) => (answer.includes('\r\n') ? resolve(answer.split('\r\n')[0]!) : reject(error)));
          socket.end(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${header}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`);
        });
      }

      it.each([
        ['NUL', 'X-GitHub-Delivery: a\u0000b'],
        ['a bare CR', 'X-GitHub-Event: push\rX-Evil: 1'],
        ['an event of 100 KB', `X-GitHub-Event: ${'p'.repeat(100_000)}`],
      ])('when a header has %s, then a 4xx and nothing recorded', async (_label, header) => {
        const service = await newService();
        const status = await rawRequest(`/webhooks/github/${service.id}`, header);
        expect(status).toMatch(/^HTTP\/1\.1 4\d\d /);
        expect(await deliveries(service)).toEqual([]);
      });
    });
  });

  it('builds exactly once for each of 20 services pushed to at the same time', async () => {
    const services = await Promise.all(Array.from({ length: 20 }, () => newService()));
    const answers = await Promise.all(services.map((s) => deliver(s, 'push', push(s))));

    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(202));
    const rows: { service_id: string; n: number }[] = await t.db.query(
      `SELECT service_id, count(*)::int AS n FROM deployments WHERE service_id = ANY($1) GROUP BY service_id`,
      [services.map((s) => s.id)],
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const linked: { n: number }[] = await t.db.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries w JOIN deployments d ON d.id = w.deployment_id AND d.service_id = w.service_id
        WHERE w.service_id = ANY($1)`,
      [services.map((s) => s.id)],
    );
    expect(linked[0]!.n).toBe(20);
  });

  describe('GET /api/services/:id/webhook-deliveries', () => {
    it('lists the owner\'s deliveries newest first with their outcome, at most 50', async () => {
      const service = await newService();
      const forged = push(service);
      await deliver(service, 'push', forged, { 'X-Hub-Signature-256': sign('wrong', forged), 'X-GitHub-Delivery': 'forged' }).expect(401);
      await deliver(service, 'ping', JSON.stringify(pingPayload(service.repo)), { 'X-GitHub-Delivery': 'd-ping' }).expect(200);
      const deployed = await deliver(service, 'push', push(service), { 'X-GitHub-Delivery': 'd-push' }).expect(202);

      const list = await request(t.app).get(`/api/services/${service.id}/webhook-deliveries`).set('Cookie', cookie).expect(200);
      expect(list.body).toEqual([
        {
          id: expect.any(String),
          deliveryId: 'd-push',
          event: 'push',
          outcome: 'deployed',
          reason: expect.stringMatching(/^push of [0-9a-f]{7} to branch "main"$/),
          statusCode: 202,
          deploymentId: deployed.body.deploymentId,
          viaApp: false,
          receivedAt: expect.any(String),
        },
        expect.objectContaining({ deliveryId: 'd-ping', outcome: 'ping', statusCode: 200, deploymentId: null }),
        expect.objectContaining({ deliveryId: 'forged', outcome: 'rejected', statusCode: 401, reason: expect.stringContaining('does not match') }),
      ]);

      for (let batch = 0; batch < 6; batch++) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) => deliver(service, 'issues', '{}', { 'X-GitHub-Delivery': `many-${batch}-${i}` }).expect(200)),
        );
      }
      const capped = await request(t.app).get(`/api/services/${service.id}/webhook-deliveries`).set('Cookie', cookie).expect(200);
      const listed = capped.body as { deliveryId: string }[];
      expect(listed).toHaveLength(50);
      expect(listed.map((d) => d.deliveryId)).not.toContain('d-push');
    });

    it('lists accepted and refused deliveries apart, so that a flood of refused ones hides none of GitHub\'s', async () => {
      const service = await newService();
      const built = await deliver(service, 'push', push(service), { 'X-GitHub-Delivery': 'genuine' }).expect(202);
      const forged = push(service);
      for (let batch = 0; batch < 6; batch++) {
        await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            deliver(service, 'push', forged, { 'X-Hub-Signature-256': sign('wrong', forged), 'X-GitHub-Delivery': `flood-${batch}-${i}` }).expect(401),
          ),
        );
      }
      const url = `/api/services/${service.id}/webhook-deliveries`;
      const all = (await request(t.app).get(url).set('Cookie', cookie).expect(200)).body as { deliveryId: string }[];
      expect(all.map((d) => d.deliveryId)).not.toContain('genuine');
      const accepted = await request(t.app).get(`${url}?outcome=accepted`).set('Cookie', cookie).expect(200);
      expect(accepted.body).toEqual([expect.objectContaining({ deliveryId: 'genuine', deploymentId: built.body.deploymentId })]);
      const refused = (await request(t.app).get(`${url}?outcome=rejected`).set('Cookie', cookie).expect(200)).body as { outcome: string }[];
      expect(refused).toHaveLength(50);
      expect(new Set(refused.map((d) => d.outcome))).toEqual(new Set(['rejected']));
      const bad = await request(t.app).get(`${url}?outcome=everything`).set('Cookie', cookie).expect(400);
      expect(bad.body.error.fields).toEqual({ outcome: ['Either accepted or rejected (or absent for all).'] });
    });

    it('answers 404 for another user\'s service and for a non-uuid id', async () => {
      const service = await newService();
      await deliver(service, 'ping', JSON.stringify(pingPayload(service.repo))).expect(200);
      const mallory = await t.signIn('mallory', 666);
      await request(t.app).get(`/api/services/${service.id}/webhook-deliveries`).set('Cookie', mallory).expect(404);
      await request(t.app).get('/api/services/nope/webhook-deliveries').set('Cookie', cookie).expect(404);
      await request(t.app).get(`/api/services/${service.id}/webhook-deliveries`).expect(401);
    });
  });
});
