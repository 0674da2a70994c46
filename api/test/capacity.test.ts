// Replicas and sizes: bad input gets per-field 400s, a change the project's quota cannot
// hold a 409 naming what is short, and a good one a commit; on real PostgreSQL and a real
// state repo.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import type { ServiceDto, ServiceSizeDto } from '@dangus/common';
import { quantity } from '../src/use-cases/capacity.js';
import type { StateSink } from '../src/state-repo/state-sink.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const exec = promisify(execFile);

describe('replicas and sizes', () => {
  let t: TestPlatform;
  let cookie: string;
  let projectId: string;
  const patch = (id: string, body: unknown) => request(t.app).patch(`/api/services/${id}`).set({ Cookie: cookie, Origin: ORIGIN }).send(body as object);
  const create = (body: Record<string, unknown>) =>
    request(t.app).post(`/api/projects/${projectId}/services`).set({ Cookie: cookie, Origin: ORIGIN }).send({ repoUrl: `https://github.com/acme/${String(body.name)}`, port: 80, ...body });

  beforeAll(async () => {
    t = await startTestPlatform({ SERVICE_SIZES: JSON.stringify({ small: { cpu: '250m', memory: '256Mi' }, big: { cpu: '1500m', memory: '2Gi' } }) });
    cookie = await t.signIn('sizer', 77);
    projectId = String((await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'sized' }).expect(201)).body.id);
  });
  afterAll(async () => {
    await t.close();
  });

  it('reads Kubernetes quantities', () => {
    expect(quantity('250m', true)).toBe(250);
    expect(quantity('1.5', true)).toBe(1500);
    expect(quantity('2Gi')).toBe(2 * 1024 ** 3);
    expect(quantity('512Mi')).toBe(512 * 1024 ** 2);
    expect(() => quantity('lots')).toThrow();
  });

  it('lists the sizes the operator defined', async () => {
    const sizes = (await request(t.app).get('/api/sizes').set({ Cookie: cookie }).expect(200)).body as ServiceSizeDto[];
    expect(sizes).toEqual([{ name: 'small', cpu: '250m', memory: '256Mi' }, { name: 'big', cpu: '1500m', memory: '2Gi' }]);
  });

  it.each([
    [{ replicas: 0 }, 'replicas'],
    [{ replicas: 11 }, 'replicas'],
    [{ replicas: 1.5 }, 'replicas'],
    [{ replicas: '2' }, 'replicas'],
    [{ size: 'huge' }, 'size'],
    [{ size: 'Big One' }, 'size'],
  ])('refuses %j with a 400 on %s', async (body, field) => {
    const web = (await create({ name: `bad-${Math.random().toString(36).slice(2, 8)}` }).expect(201)).body as ServiceDto;
    const res = await patch(web.id, body).expect(400);
    expect(Object.keys(res.body.error.fields as object)).toEqual([field]);
  });

  it('lists the sizes when one is not defined, and keeps a volume to one replica', async () => {
    const vol = (await create({ name: 'vol', storageGb: 1 }).expect(201)).body as ServiceDto;
    const many = await patch(vol.id, { replicas: 2 }).expect(400);
    expect(many.body.error.fields.replicas[0]).toMatch(/with a volume/);
    expect(many.body.error.message).toMatch(/ReadWriteOnce/);
    const unknown = await patch(vol.id, { size: 'huge' }).expect(400);
    expect(unknown.body.error.message).toBe('There is no size "huge". Sizes: small (250m CPU, 256Mi), big (1500m CPU, 2Gi).');
    await create({ name: 'vol2', storageGb: 1, replicas: 3 }).expect(400);
  });

  it('refuses what the quota cannot hold with a 409 naming it, and commits what it can', async () => {
    // A project of its own: the quota counts every service of the project.
    projectId = String((await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'quota' }).expect(201)).body.id);
    const web = (await create({ name: 'web' }).expect(201)).body as ServiceDto;
    // Default quota: limits.cpu 4, limits.memory 8Gi: two big pods (3 CPU) plus a surge pod (1.5) is 4.5.
    const refused = await patch(web.id, { replicas: 2, size: 'big' }).expect(409);
    expect(refused.body.error.message).toMatch(/limits\.cpu: [\d.]+ CPU needed, 4 CPU in the quota/);
    expect(refused.body.error.message).toMatch(/requests\.cpu/);
    const unchanged = (await request(t.app).get(`/api/services/${web.id}`).set({ Cookie: cookie }).expect(200)).body as ServiceDto;
    expect(unchanged).toMatchObject({ replicas: 1, size: null });

    const ok = (await patch(web.id, { replicas: 3, size: 'small' }).expect(200)).body as ServiceDto;
    expect(ok).toMatchObject({ replicas: 3, size: 'small' });
    // Nothing is deployed yet: no Deployment is rendered, so no manifest changed and no commit
    // was made (e2e/pipeline/replicas.test.ts follows a deployed one).
    const { stdout } = await exec('git', ['--git-dir', t.stateRepoDir, 'log', '-n', '1', '--format=%an|%s']);
    expect(stdout.trim()).toMatch(/^sizer\|create\(.*\/web\): create service web$/);
  });

  const head = async () => (await exec('git', ['--git-dir', t.stateRepoDir, 'log', '-n', '1', '--format=%H %s'])).stdout.trim();
  const newProject = async (name: string) => {
    projectId = String((await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name }).expect(201)).body.id);
  };

  it('checks a service created with the defaults against the quota', async () => {
    await newProject('defaults');
    // Default quota limits.cpu 4; a pod without a size gets the LimitRange's 500m:
    // 6 + 1 pods and a surge pod fit, one more service does not.
    await create({ name: 'wide', replicas: 6 }).expect(201);
    await create({ name: 'one' }).expect(201);
    const before = await head();
    const refused = await create({ name: 'two' }).expect(409);
    expect(refused.body.error.message).toMatch(/limits\.cpu: 4\.5 CPU needed, 4 CPU in the quota/);
    expect(await t.db.query(`SELECT name FROM services WHERE project_id = $1 ORDER BY name`, [projectId])).toEqual([{ name: 'one' }, { name: 'wide' }]);
    expect(await head()).toBe(before);
  });

  it('refuses a rollback to a release the quota cannot hold, and changes nothing', async () => {
    await newProject('rollback');
    const web = (await create({ name: 'rb' }).expect(201)).body as ServiceDto;
    const release = async (replicas: number) => {
      const [row] = await t.db.query<{ id: string }[]>(
        `INSERT INTO deployments (service_id, commit_sha, status, trigger, image_tag, image_digest, release_config, release_env)
         VALUES ($1, $2, 'live', 'push', $3, $4, $5, '[]') RETURNING id`,
        [web.id, String(replicas).repeat(40), `harbor.local/dangus/rb:${String(replicas).repeat(40)}@sha256:${'a'.repeat(64)}`, `sha256:${'a'.repeat(64)}`,
          JSON.stringify({ port: 80, healthCheckPath: null, storageGb: null, replicas, size: null })],
      );
      return row?.id ?? '';
    };
    const tooMany = await release(8);
    const fits = await release(7);
    const rows = async () => t.db.query<unknown[]>(`SELECT s.replicas, s.size, s.current_deployment_id, (SELECT count(*)::int FROM deployments d WHERE d.service_id = s.id) AS deployments FROM services s WHERE s.id = $1`, [web.id]);
    const before = { rows: await rows(), head: await head() };

    const rollback = (id: string) => request(t.app).post(`/api/deployments/${id}/rollback`).set({ Cookie: cookie, Origin: ORIGIN });
    const refused = await rollback(tooMany).expect(409);
    expect(refused.body.error.message).toMatch(/limits\.cpu: 4\.5 CPU needed, 4 CPU in the quota/);
    expect({ rows: await rows(), head: await head() }).toEqual(before);

    await rollback(fits).expect(202);
    expect(await rows()).toEqual([expect.objectContaining({ replicas: 7, size: null, deployments: 3 })]);
    expect(await head()).toMatch(/ rollback\(.*\/rb\): to 7777777/);
  });

  describe('two changes at once', () => {
    /**
     * Holds the first change recorded, inside its transaction (its rows written, its locks
     * held), until released: the second request runs while the first is in the middle.
     */
    function holdFirstChange() {
      const sink: StateSink = t.stateSink;
      const record = sink.record.bind(sink);
      let reached = () => {};
      let release = () => {};
      const atHold = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      sink.record = async (manager, change) => {
        sink.record = record;
        reached();
        await released;
        return record(manager, change);
      };
      return { atHold, release };
    }

    /** Resolves once `answer` has come, or a connection waits on a row lock (the held request's). */
    async function answeredOrBlocked(answer: Promise<unknown>): Promise<void> {
      const answered = answer.then(() => true);
      let done = false;
      while (!done) {
        const blocked = t.db
          .query<{ n: number }[]>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event <> 'advisory'`,
          )
          .then(([row]) => (row?.n ?? 0) > 0);
        done = await Promise.race([answered, blocked]);
      }
    }

    /** Starts `first`, holds it inside its transaction, runs `second` against it, then lets both finish. */
    async function race(first: () => request.Test, second: () => request.Test): Promise<[request.Response, request.Response]> {
      const hold = holdFirstChange();
      const a = first().then((res) => res);
      await hold.atHold;
      const b = second().then((res) => res);
      await answeredOrBlocked(b);
      hold.release();
      return Promise.all([a, b]);
    }

    it('keeps one replica with a volume when replicas and a volume are asked for at once', async () => {
      await newProject('racing');
      const web = (await create({ name: 'racer' }).expect(201)).body as ServiceDto;
      const [replicas, volume] = await race(() => patch(web.id, { replicas: 3 }), () => patch(web.id, { storageGb: 5 }));
      expect([replicas.status, volume.status]).toEqual([200, 400]);
      expect(volume.body.error.message).toMatch(/with a volume runs one replica/);
      expect(await t.db.query(`SELECT replicas, storage_gb FROM services WHERE id = $1`, [web.id])).toEqual([{ replicas: 3, storage_gb: null }]);
    });

    // small: 250m requests = limits; the quota's requests.cpu is 2: 4 + 4 small pods and a surge pod are 2.25 CPU.
    it.each([
      ['two services\' PATCHes', async () => {
        const x = (await create({ name: 'px' }).expect(201)).body as ServiceDto;
        const y = (await create({ name: 'py' }).expect(201)).body as ServiceDto;
        return [() => patch(x.id, { replicas: 4, size: 'small' }), () => patch(y.id, { replicas: 4, size: 'small' })] as const;
      }],
      ['two new services', () => Promise.resolve([() => create({ name: 'cx', replicas: 4, size: 'small' }), () => create({ name: 'cy', replicas: 4, size: 'small' })] as const)],
    ])('lets only one of %s take the quota', async (_, setUp) => {
      await newProject(`race-${String(Math.random()).slice(2, 8)}`);
      const [first, second] = await setUp();
      const [a, b] = await race(first, second);
      expect(a.status).toBeLessThan(300);
      expect(b.status).toBe(409);
      expect(b.body.error.message).toMatch(/requests\.cpu: 2\.25 CPU needed, 2 CPU in the quota/);
      const stored = await t.db.query<{ replicas: number; size: string | null }[]>(`SELECT replicas, size FROM services WHERE project_id = $1`, [projectId]);
      expect(stored.filter((row) => row.size === 'small')).toEqual([{ replicas: 4, size: 'small' }]);
    });
  });
});
