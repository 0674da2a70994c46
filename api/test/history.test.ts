// The infrastructure history of a service, read from the real state repo: pages of the
// commits that touched the service or its tenant, one commit's diff on those paths only,
// and what a stranger or a bad cursor gets.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import type { HistoryDiffDto, HistoryPageDto } from '@dangus/common';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';

const exec = promisify(execFile);

describe('infrastructure history', () => {
  let t: TestPlatform;
  let cookie: string;
  const git = async (...args: string[]) => (await exec('git', ['--git-dir', t.stateRepoDir, ...args])).stdout;
  const post = (path: string, body: object) => request(t.app).post(`/api${path}`).set({ Cookie: cookie, Origin: ORIGIN }).send(body);
  const history = (serviceId: string, cursor?: string) =>
    request(t.app).get(`/api/services/${serviceId}/history`).query(cursor === undefined ? {} : { cursor }).set({ Cookie: cookie });

  async function service(project: { id: string }, name: string): Promise<string> {
    const res = await post(`/projects/${project.id}/services`, { name, repoUrl: `https://github.com/acme/${project.id.slice(0, 8)}-${name}`, port: 8080 }).expect(201);
    return String(res.body.id);
  }

  beforeAll(async () => {
    t = await startTestPlatform({});
    cookie = await t.signIn('octocat', 4242);
  });
  afterAll(async () => {
    await t.close();
  });

  it("lists the service's and its tenant's commits, newest first, with trailers and line counts; not its sibling's", async () => {
    const project = (await post('/projects', { name: 'shop' }).expect(201)).body as { id: string; namespace: string };
    const web = await service(project, 'web');
    const api = await service(project, 'api');
    await post(`/services/${web}/env`, { key: 'GREETING', value: 'hello' }).expect(201);
    await request(t.app).patch(`/api/services/${api}`).set({ Cookie: cookie, Origin: ORIGIN }).send({ port: 9090 }).expect(200);
    await request(t.app).patch(`/api/services/${web}`).set({ Cookie: cookie, Origin: ORIGIN }).send({ port: 3000 }).expect(200);

    const page = (await history(web).expect(200)).body as HistoryPageDto;
    const subjects = page.commits.map((c) => c.subject);
    const ns = project.namespace;
    // The api's own change (port 9090) is not in web's history; the tenant's commits are.
    // (An env change without a deployment changes no manifest: no commit.)
    expect(subjects).toEqual([
      expect.stringMatching(new RegExp(`^update\\(${ns}/web\\): `)),
      `create(${ns}/api): create service api`,
      `create(${ns}/web): create service web`,
      `create(${ns}): create project shop`,
    ]);
    expect(page.nextCursor).toBeNull();
    // Newest first, each one a commit of the repository as git prints it.
    const log = (await git('log', '--format=%H', '--', `tenants/${ns}`)).trim().split('\n');
    expect(page.commits.map((c) => c.sha)).toEqual(log.filter((sha) => page.commits.some((c) => c.sha === sha)));
    const [portChange] = page.commits;
    expect(portChange?.actor).toBe('octocat');
    expect(portChange?.author.name).toBe('octocat');
    expect(portChange?.committer.name).toBe('Dangus Cloud');
    // Only web's files (the api's creation shows only the tenant's shared files).
    expect(portChange?.files.map((f) => f.path).every((p) => p.startsWith(`tenants/${ns}/web/`))).toBe(true);
    // Not deployed yet: the port is in the Service only.
    expect(portChange?.files).toEqual([{ path: `tenants/${ns}/web/service.yaml`, added: 1, removed: 1 }]);
    const apiCreation = page.commits.find((c) => c.subject.startsWith(`create(${ns}/api)`));
    expect(apiCreation?.files.map((f) => f.path)).toEqual([`tenants/${ns}/kustomization.yaml`]);
  });

  it("gives one commit's unified diff on the service's paths, and never another tenant's", async () => {
    const a = (await post('/projects', { name: 'alpha' }).expect(201)).body as { id: string; namespace: string };
    const b = (await post('/projects', { name: 'beta' }).expect(201)).body as { id: string; namespace: string };
    const aWeb = await service(a, 'aweb');
    const bWeb = await service(b, 'bweb');
    await request(t.app).patch(`/api/services/${aWeb}`).set({ Cookie: cookie, Origin: ORIGIN }).send({ port: 4000 }).expect(200);
    const [change] = ((await history(aWeb).expect(200)).body as HistoryPageDto).commits;
    const diff = (await request(t.app).get(`/api/services/${aWeb}/history/${change?.sha ?? ''}`).set({ Cookie: cookie }).expect(200)).body as HistoryDiffDto;
    expect(diff.diff).toContain(`diff --git a/tenants/${a.namespace}/aweb/service.yaml`);
    expect(diff.diff).toMatch(/^\+.*4000/m);
    expect(diff.diff).toMatch(/^-.*8080/m);
    // The same commit is not in beta's history.
    await request(t.app).get(`/api/services/${bWeb}/history/${change?.sha ?? ''}`).set({ Cookie: cookie }).expect(404);

    // One commit that touches both tenants (as a template change does): each sees its own paths.
    const both = await commitTouching([`tenants/${a.namespace}/namespace.yaml`, `tenants/${b.namespace}/namespace.yaml`]);
    const forA = (await request(t.app).get(`/api/services/${aWeb}/history/${both}`).set({ Cookie: cookie }).expect(200)).body as HistoryDiffDto;
    const forB = (await request(t.app).get(`/api/services/${bWeb}/history/${both}`).set({ Cookie: cookie }).expect(200)).body as HistoryDiffDto;
    expect(forA.files.map((f) => f.path)).toEqual([`tenants/${a.namespace}/namespace.yaml`]);
    expect(forA.diff).toContain(a.namespace);
    expect(forA.diff).not.toContain(b.namespace);
    expect(forB.files.map((f) => f.path)).toEqual([`tenants/${b.namespace}/namespace.yaml`]);
    expect(forB.diff).not.toContain(a.namespace);
  });

  it('pages 50 at a time with a cursor, with no commit twice and none left out', async () => {
    const project = (await post('/projects', { name: 'busy' }).expect(201)).body as { id: string; namespace: string };
    const web = await service(project, 'busyweb');
    for (let i = 0; i < 110; i += 1) {
      await request(t.app).patch(`/api/services/${web}`).set({ Cookie: cookie, Origin: ORIGIN }).send({ port: 3000 + i }).expect(200);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    const sizes: number[] = [];
    do {
      const page = (await history(web, cursor).expect(200)).body as HistoryPageDto;
      sizes.push(page.commits.length);
      seen.push(...page.commits.map((c) => c.sha));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(sizes).toEqual([50, 50, 12]);
    expect(new Set(seen).size).toBe(112);
    const log = (await git('log', '--format=%H', '--', `tenants/${project.namespace}`)).trim().split('\n');
    expect(seen).toEqual(log);
    // 110 commits one after the other, each through the outbox and stored durably (a `git
    // pack-objects` and a row) as in production: past jest's 30 s on a busy machine.
  }, 120_000);

  it('answers a tampered cursor with 400, a sha that is not one of the service with 404, a stranger with 404', async () => {
    const project = (await post('/projects', { name: 'guarded' }).expect(201)).body as { id: string; namespace: string };
    const web = await service(project, 'guardweb');
    for (const cursor of ['%%%', 'abc', Buffer.from('after:zzz').toString('base64url'), Buffer.from(`after:${'a'.repeat(40)}`).toString('base64url')]) {
      const res = await history(web, cursor).expect(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
    const other = (await post('/projects', { name: 'other' }).expect(201)).body as { namespace: string };
    const othersCommit = (await git('log', '-n', '1', '--format=%H', '--', `tenants/${other.namespace}`)).trim();
    for (const sha of ['HEAD', 'main', 'a'.repeat(40), '--output=x', othersCommit]) {
      await request(t.app).get(`/api/services/${web}/history/${encodeURIComponent(sha)}`).set({ Cookie: cookie }).expect(404);
    }
    const stranger = await t.signIn('mallory', 666);
    await request(t.app).get(`/api/services/${web}/history`).set({ Cookie: stranger }).expect(404);
    const [first] = ((await history(web).expect(200)).body as HistoryPageDto).commits;
    await request(t.app).get(`/api/services/${web}/history/${first?.sha ?? ''}`).set({ Cookie: stranger }).expect(404);
    await request(t.app).get(`/api/services/${web}/history`).expect(401);
  });

  /** A commit on top of HEAD that appends a comment line to each of `paths` (git plumbing, as an operator could). */
  async function commitTouching(paths: string[]): Promise<string> {
    const head = (await git('rev-parse', 'HEAD')).trim();
    const env = { ...process.env, GIT_INDEX_FILE: `${t.stateRepoDir}/history-test.index` };
    const run = async (args: string[], input?: string) => {
      const child = execFile('git', ['--git-dir', t.stateRepoDir, ...args], { env });
      if (input !== undefined) child.stdin?.end(input);
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await new Promise<void>((resolve, reject) => child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')}: ${String(code)}`)))));
      return out.trim();
    };
    await run(['read-tree', head]);
    for (const path of paths) {
      const text = `${await git('show', `${head}:${path}`)}# touched by a template change\n`;
      const blob = await run(['hash-object', '-w', '--stdin'], text);
      await run(['update-index', '--cacheinfo', `100644,${blob},${path}`]);
    }
    const tree = await run(['write-tree']);
    const commit = await run(['-c', 'user.name=Dangus Cloud', '-c', 'user.email=platform@dangus.invalid', 'commit-tree', tree, '-p', head, '-m', 'reconcile(*): template change\n\nDangus-Actor: platform']);
    await run(['update-ref', 'HEAD', commit, head]);
    return commit;
  }
});

describe('history requests under way at once, per user', () => {
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform({ MAX_HISTORY_REQUESTS_PER_USER: '2' });
  });
  afterAll(async () => {
    await t.close();
  });

  /** A user with a service and its first commit, and a GET of its history as that user. */
  async function member(login: string, id: number) {
    const cookie = await t.signIn(login, id);
    const project = (await request(t.app).post('/api/projects').set({ Cookie: cookie, Origin: ORIGIN }).send({ name: 'shop' }).expect(201)).body as { id: string };
    const created = await request(t.app)
      .post(`/api/projects/${project.id}/services`)
      .set({ Cookie: cookie, Origin: ORIGIN })
      .send({ name: `${login}web`, repoUrl: `https://github.com/acme/${login}`, port: 8080 })
      .expect(201);
    const serviceId = String(created.body.id);
    return { get: (path = '') => request(t.app).get(`/api/services/${serviceId}/history${path}`).set({ Cookie: cookie }) };
  }

  it("answers a user's third request while two are under way with 429 and Retry-After; another user's is served", async () => {
    const busy = await member('busy', 501);
    const other = await member('other', 502);
    const [first] = ((await busy.get().expect(200)).body as HistoryPageDto).commits;

    // The next two history reads wait at the reader until released: two requests under way.
    const reader = t.writer.history;
    const read = reader.page.bind(reader);
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    let bothWaiting = () => {};
    const waiting = new Promise<void>((resolve) => (bothWaiting = resolve));
    let held = 0;
    reader.page = async (...args) => {
      if (held < 2) {
        held += 1;
        if (held === 2) bothWaiting();
        await released;
      }
      return read(...args);
    };
    try {
      const underWay = [busy.get().then((res) => res), busy.get().then((res) => res)];
      await waiting;

      for (const refused of [await busy.get(), await busy.get(`/${first?.sha ?? ''}`)]) {
        expect(refused.status).toBe(429);
        expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
        expect(refused.body.error.code).toBe('too_many_requests');
        expect(refused.body.error.message).toMatch(/history requests under way/);
      }
      // Another user is not held to this one's requests.
      expect(((await other.get().expect(200)).body as HistoryPageDto).commits.length).toBeGreaterThan(0);

      release();
      expect((await Promise.all(underWay)).map((res) => res.status)).toEqual([200, 200]);
      // Done, they no longer count.
      await busy.get().expect(200);
      await busy.get(`/${first?.sha ?? ''}`).expect(200);
    } finally {
      release();
      reader.page = read;
    }
  });
});
