// Monorepos (issue 37): which pushes build which services. The decision is a function of the
// services of a repository and the push payload (push-fan-out.ts); the compare API it falls
// back on is the fake GitHub's, answered by git from a real repository. Through the per-service
// webhook, a skipped push is answered 200 `skipped` and recorded per service with its reason.
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { OctokitGitHubApi } from '../src/github/github-api.js';
import { changedFiles, fanOutPush, type CompareFiles, type PushTarget } from '../src/use-cases/push-fan-out.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { deliveryHeaders, pushPayload } from './support/webhook-payloads.js';

const run = promisify(execFile);
const ZERO = '0'.repeat(40);
const OWNER = 'octocat';
const REPO = `${OWNER}/mono`;

/** A real repository the fake GitHub reads: commit files on a branch, get the sha. */
class Repo {
  constructor(readonly dir: string) {}

  static async create(): Promise<Repo> {
    const dir = await mkdtemp(join(tmpdir(), 'dangus-mono-'));
    await run('git', ['init', '--quiet', '--initial-branch=main', dir]);
    return new Repo(dir);
  }

  git(...args: string[]) {
    return run('git', ['-C', this.dir, '-c', 'user.name=Octo', '-c', 'user.email=octo@example.test', ...args]);
  }

  /** Writes `files` (path → content) on the current branch and commits; returns the sha. */
  async commit(files: Record<string, string>): Promise<string> {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), content);
    }
    await this.git('add', '-A');
    await this.git('commit', '--quiet', '--allow-empty', '-m', `change ${Object.keys(files).join(' ')}`);
    return (await this.git('rev-parse', 'HEAD')).stdout.trim();
  }
}

/** A push payload as GitHub sends it (a real example), with the fields that tell what changed set. */
function pushOf(options: {
  before: string;
  after: string;
  branch?: string;
  commits?: { added?: string[]; removed?: string[]; modified?: string[] }[];
  created?: boolean;
  forced?: boolean;
}): Record<string, unknown> {
  const payload = pushPayload({ repo: REPO, ref: `refs/heads/${options.branch ?? 'main'}`, after: options.after });
  const template = (payload.commits as Record<string, unknown>[])[0] ?? {};
  payload.before = options.before;
  payload.created = options.created ?? false;
  payload.forced = options.forced ?? false;
  payload.commits = (options.commits ?? []).map((files) => ({ ...template, added: [], removed: [], modified: [], ...files }));
  (payload.repository as Record<string, unknown>).default_branch = 'main';
  return payload;
}

const target = (id: string, watchPaths: string[], branch = 'main'): PushTarget => ({ id, repoUrl: `https://github.com/${REPO}`, branch, watchPaths });

describe('monorepos: which pushes build which services', () => {
  let t: TestPlatform;
  let cookie: string;
  let repo: Repo;
  let compare: CompareFiles;
  /** Commits of the repository: a base with three apps, then changes. */
  let base: string;

  beforeAll(async () => {
    t = await startTestPlatform();
    cookie = await t.signIn(OWNER, 4242);
    repo = await Repo.create();
    t.github.gitRepos.set(REPO, join(repo.dir, '.git'));
    base = await repo.commit({
      'apps/web/index.js': 'web 1',
      'apps/api/main.go': 'api 1',
      'apps/worker/run.py': 'worker 1',
      'packages/shared/util.ts': 'shared 1',
      'package-lock.json': '{}',
      'README.md': 'mono',
    });
    const token = t.github.tokensOf(OWNER)[0] ?? '';
    const github = new OctokitGitHubApi(t.github.url);
    compare = (b, h) => github.compare(token, OWNER, 'mono', b, h);
  });
  afterAll(async () => {
    await t.close();
    await rm(repo.dir, { recursive: true, force: true });
  });

  describe('the decision', () => {
    it('reads the changed files from the payload when it lists every commit, without asking GitHub', async () => {
      const asked = t.github.repos.compareRequests.length;
      const after = await repo.commit({ 'apps/api/main.go': 'api 2' });
      const payload = pushOf({ before: base, after, commits: [{ modified: ['apps/api/main.go'] }, { added: ['notes/api.md'] }] });
      const [web, api] = await fanOutPush([target('web', ['apps/web/**']), target('api', ['apps/api/**', '!**/*.md'])], payload, compare);

      expect(web?.decision).toEqual({
        outcome: 'skipped',
        reason: 'no changed file matches `apps/web/**` (2 files changed, from the push payload)',
        statusCode: 200,
        body: { outcome: 'skipped', reason: 'no changed file matches `apps/web/**` (2 files changed, from the push payload)' },
        push: { pushedAt: expect.any(Number), commitSha: after },
      });
      expect(api?.decision).toMatchObject({
        outcome: 'deployed',
        reason: `push of ${after.slice(0, 7)} to branch "main": apps/api/main.go matches \`apps/api/**\``,
        build: { commitSha: after },
      });
      expect(t.github.repos.compareRequests.length).toBe(asked);
    });

    it('asks the compare API when the payload lists 20 commits (GitHub lists no more), and reads the real diff', async () => {
      const before = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      let after = before;
      for (let i = 0; i < 21; i++) after = await repo.commit({ [`apps/worker/step${String(i)}.py`]: String(i) });
      // The payload lists only the first 20, none of them touching apps/web...
      const payload = pushOf({ before, after, commits: Array.from({ length: 20 }, (_, i) => ({ added: [`apps/worker/step${String(i)}.py`] })) });
      const [web, worker] = await fanOutPush([target('web', ['apps/web/**']), target('worker', ['apps/worker/step20.py'])], payload, compare);

      expect(t.github.repos.compareRequests).toContain(`${REPO} ${before}...${after}`);
      expect(web?.decision).toMatchObject({
        outcome: 'skipped',
        reason: "no changed file matches `apps/web/**` (21 files changed, from GitHub's compare API (20 or more commits))",
      });
      // ...and the 21st commit, which only the compare API knows of, builds the worker.
      expect(worker?.decision).toMatchObject({ outcome: 'deployed', reason: expect.stringContaining(': apps/worker/step20.py matches `apps/worker/step20.py`') });
    });

    it('on a force push, counts the files of the commits it dropped too', async () => {
      // main moves on with a change to apps/web, then is force-pushed back to before it.
      const kept = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      const dropped = await repo.commit({ 'apps/web/index.js': 'web (dropped)' });
      const payload = pushOf({ before: dropped, after: kept, forced: true, commits: [] });
      const [web, api] = await fanOutPush([target('web', ['apps/web/**']), target('api', ['apps/api/**'])], payload, compare);

      expect(t.github.repos.compareRequests.slice(-2)).toEqual([`${REPO} ${dropped}...${kept}`, `${REPO} ${kept}...${dropped}`]);
      expect(web?.decision).toMatchObject({ outcome: 'deployed', reason: expect.stringContaining('apps/web/index.js matches `apps/web/**`') });
      expect(api?.decision).toMatchObject({ outcome: 'skipped', reason: "no changed file matches `apps/api/**` (1 file changed, from GitHub's compare API (a force push))" });
      await repo.git('reset', '--quiet', '--hard', kept);
    });

    it('on a new branch, compares it with the default branch', async () => {
      const main = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      await repo.git('checkout', '--quiet', '-b', 'feature');
      const after = await repo.commit({ 'packages/shared/util.ts': 'shared 2' });
      await repo.git('checkout', '--quiet', 'main');
      const payload = pushOf({ before: ZERO, after, branch: 'feature', created: true, commits: [] });
      const [web, api] = await fanOutPush(
        [target('web', ['apps/web/**'], 'feature'), target('api', ['apps/api/**', 'packages/shared/'], 'feature')],
        payload,
        compare,
      );

      expect(t.github.repos.compareRequests.at(-1)).toBe(`${REPO} main...${after}`);
      expect(web?.decision).toMatchObject({ outcome: 'skipped', reason: "no changed file matches `apps/web/**` (1 file changed, from GitHub's compare API (a new branch))" });
      expect(api?.decision).toMatchObject({ outcome: 'deployed', reason: expect.stringContaining('packages/shared/util.ts matches `packages/shared/`') });
      expect(main).not.toBe(after);
    });

    it('a new default branch has nothing to compare with: it builds', async () => {
      const after = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      const [web] = await fanOutPush([target('web', ['apps/web/**'])], pushOf({ before: ZERO, after, created: true, commits: [] }), compare);
      expect(web?.decision).toMatchObject({ outcome: 'deployed', reason: expect.stringContaining('(watch paths not checked: a new branch with no other branch to compare it to)') });
    });

    it('when the compare API fails, or takes too long, it builds and says why', async () => {
      const before = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      const after = await repo.commit({ 'README.md': 'forced' });
      const payload = pushOf({ before, after, forced: true, commits: [{ modified: ['README.md'] }] });
      t.github.repos.failCompareWith = 500;
      try {
        const [web] = await fanOutPush([target('web', ['apps/web/**'])], payload, compare);
        expect(web?.decision).toMatchObject({
          outcome: 'deployed',
          reason: expect.stringContaining(`(watch paths not checked: a force push, and GitHub's compare API failed: GitHub could not compare ${before.slice(0, 7)}...${after.slice(0, 7)} of ${REPO} (HTTP 500).)`),
        });
      } finally {
        t.github.repos.failCompareWith = null;
      }
      t.github.repos.compareDelayMs = 2_000;
      try {
        const github = new OctokitGitHubApi(t.github.url);
        const token = t.github.tokensOf(OWNER)[0] ?? '';
        const slow: CompareFiles = (b, h) => github.compare(token, OWNER, 'mono', b, h, { timeoutMs: 200 });
        const started = Date.now();
        const [web] = await fanOutPush([target('web', ['apps/web/**'])], payload, slow);
        expect(Date.now() - started).toBeLessThan(1_500);
        expect(web?.decision).toMatchObject({ outcome: 'deployed', reason: expect.stringContaining("GitHub's compare API failed") });
      } finally {
        t.github.repos.compareDelayMs = 0;
      }
      // Without a token to ask with, it builds too.
      expect(await changedFiles(payload, 'main', null)).toEqual({
        known: false,
        why: "a force push, and GitHub's compare API cannot be asked about this repository",
      });
    });

    it('fans one push out to the three services of a repository: the two that match build, the third is skipped', async () => {
      const before = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      const after = await repo.commit({ 'apps/web/index.js': 'web 3', 'packages/shared/util.ts': 'shared 3' });
      const payload = pushOf({ before, after, commits: [{ modified: ['apps/web/index.js', 'packages/shared/util.ts'] }] });
      const services = [
        target('web', ['apps/web/**', 'package-lock.json']),
        target('api', ['apps/api/**', 'packages/shared/**']),
        target('worker', ['apps/worker/**']),
        // Another branch's service of the same repository is not this push's.
        target('web-staging', ['apps/web/**'], 'staging'),
      ];
      const decisions = await fanOutPush(services, payload, compare);

      expect(decisions.map(({ target: { id }, decision: { outcome, reason } }) => ({ id, outcome, reason }))).toEqual([
        { id: 'web', outcome: 'deployed', reason: `push of ${after.slice(0, 7)} to branch "main": apps/web/index.js matches \`apps/web/**\`` },
        { id: 'api', outcome: 'deployed', reason: `push of ${after.slice(0, 7)} to branch "main": packages/shared/util.ts matches \`packages/shared/**\`` },
        { id: 'worker', outcome: 'skipped', reason: 'no changed file matches `apps/worker/**` (2 files changed, from the push payload)' },
        { id: 'web-staging', outcome: 'ignored', reason: 'branch "main" is not the service\'s branch "staging"' },
      ]);
    });
  });

  describe("the new-service form's reads of the repository (Git trees API)", () => {
    const as = <T extends request.Test>(req: T) => req.set({ Cookie: cookie, Origin: ORIGIN });
    let head: string;

    beforeAll(async () => {
      head = await repo.commit({
        'apps/web/Dockerfile': 'FROM scratch',
        'apps/api/docker/Dockerfile.prod': 'FROM scratch',
        'services/worker/worker.Dockerfile': 'FROM scratch',
        'Dockerfile': 'FROM scratch',
        'node_modules/some-dep/Dockerfile': 'FROM scratch',
        'pnpm-workspace.yaml': 'packages: []',
      });
      t.github.branches.set(`${REPO}#main`, { sha: head, message: 'head' });
    });

    it('lists the Dockerfiles of the branch head, each with a context and watch paths to suggest', async () => {
      const asked = t.github.repos.treeRequests.length;
      const res = await as(request(t.app).get('/api/repository/dockerfiles').query({ repoUrl: `https://github.com/${REPO}`, branch: 'main' })).expect(200);
      expect(res.body).toEqual({
        commitSha: head,
        rootFiles: ['package-lock.json', 'pnpm-workspace.yaml'],
        truncated: false,
        dockerfiles: [
          { path: 'Dockerfile', contextDir: '.', dockerfilePath: 'Dockerfile', watchPaths: [] },
          { path: 'apps/web/Dockerfile', contextDir: 'apps/web', dockerfilePath: 'Dockerfile', watchPaths: ['apps/web/**', 'package-lock.json', 'pnpm-workspace.yaml'] },
          { path: 'services/worker/worker.Dockerfile', contextDir: 'services/worker', dockerfilePath: 'worker.Dockerfile', watchPaths: ['services/worker/**', 'package-lock.json', 'pnpm-workspace.yaml'] },
          { path: 'apps/api/docker/Dockerfile.prod', contextDir: 'apps/api', dockerfilePath: 'docker/Dockerfile.prod', watchPaths: ['apps/api/**', 'package-lock.json', 'pnpm-workspace.yaml'] },
        ],
      });
      expect(t.github.repos.treeRequests.slice(asked)).toEqual([`${REPO} ${head}`]);
    });

    it('previews which files of the branch head the watch paths select, as they will be stored', async () => {
      const res = await as(request(t.app).get('/api/repository/watched-files'))
        .query(`repoUrl=${encodeURIComponent(`https://github.com/${REPO}`)}&watchPaths=${encodeURIComponent(' apps/web/**, package-lock.json')}&watchPaths=${encodeURIComponent('!**/Dockerfile')}`)
        .expect(200);
      expect(res.body).toEqual({
        commitSha: head,
        watchPaths: ['apps/web/**', 'package-lock.json', '!**/Dockerfile'],
        fileCount: expect.any(Number),
        matchedCount: 2,
        matched: ['apps/web/index.js', 'package-lock.json'],
        truncated: false,
      });
    });

    it('answers 400 naming the field for a bad pattern or repository, before asking GitHub', async () => {
      const asked = t.github.repos.treeRequests.length;
      const bad = await as(request(t.app).get('/api/repository/watched-files').query({ repoUrl: `https://github.com/${REPO}`, watchPaths: '../x' })).expect(400);
      expect(bad.body.error.fields).toEqual({ 'watchPaths.0': ['Patterns are relative to the repository root: ".." is not allowed.'] });
      const repoless = await as(request(t.app).get('/api/repository/dockerfiles').query({ repoUrl: 'https://gitlab.com/x/y' })).expect(400);
      expect(Object.keys(repoless.body.error.fields as object)).toEqual(['repoUrl']);
      expect(t.github.repos.treeRequests.length).toBe(asked);
    });

    it('reads a public repository without a token (the local user has none), and a private one not at all', async () => {
      const github = new OctokitGitHubApi(t.github.url);
      await expect(github.tree(null, OWNER, 'mono', head)).rejects.toThrow(`GitHub could not list the files of ${REPO} at "${head}" (HTTP 404).`);
      t.github.publicRepos.add(REPO);
      try {
        const tree = await github.tree(null, OWNER, 'mono', head);
        expect(tree.paths).toEqual(expect.arrayContaining(['apps/web/Dockerfile', 'package-lock.json']));
      } finally {
        t.github.publicRepos.delete(REPO);
      }
    });

    it("cannot read a repository the user's token cannot see", async () => {
      const other = await t.signIn('mallory', 6666);
      const res = await request(t.app).get('/api/repository/dockerfiles').set({ Cookie: other }).query({ repoUrl: `https://github.com/${REPO}` });
      expect(res.status).toBe(502);
      expect(res.body.error.message).toContain(REPO);
      expect(JSON.stringify(res.body)).not.toContain('apps/web');
    });
  });

  describe('through the per-service webhook', () => {
    let serial = 0;
    const as = <T extends request.Test>(req: T) => req.set({ Cookie: cookie, Origin: ORIGIN });

    async function newService(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
      const project = (await as(request(t.app).post('/api/projects')).send({ name: `mono${String(++serial)}` }).expect(201)).body.id as string;
      const created = await as(request(t.app).post(`/api/projects/${project}/services`))
        .send({ repoUrl: `https://github.com/${REPO}`, port: 8080, ...body })
        .expect(201);
      return { id: created.body.id as string, secret: created.body.webhookSecret as string };
    }

    function deliver(service: { id: string; secret: string }, payload: Record<string, unknown>, deliveryId = randomUUID()) {
      const body = JSON.stringify(payload);
      return request(t.app)
        .post(`/webhooks/github/${service.id}`)
        .set(deliveryHeaders(service.secret, body, 'push', deliveryId))
        .serialize((data: string) => data)
        .send(body);
    }

    it('builds the services whose files changed; a skipped one answers 200 "skipped", recorded and listed with its reason', async () => {
      const web = await newService({ name: 'mweb', contextDir: 'apps/web', watchPaths: ['apps/web/**', 'package-lock.json'] });
      const api = await newService({ name: 'mapi', contextDir: './apps/api/', watchPaths: ['apps/api/**, packages/shared/**'] });
      const worker = await newService({ name: 'mworker', contextDir: 'apps/worker', watchPaths: ['apps/worker/**'] });
      const before = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      const after = await repo.commit({ 'apps/web/index.js': 'web 4', 'packages/shared/util.ts': 'shared 4' });
      const payload = pushOf({ before, after, commits: [{ modified: ['apps/web/index.js'] }, { modified: ['packages/shared/util.ts'] }] });
      const deliveryId = randomUUID();

      const answers = await Promise.all([web, api, worker].map((service) => deliver(service, payload, deliveryId)));
      expect(answers.map((answer) => answer.status)).toEqual([202, 202, 200]);
      const reason = 'no changed file matches `apps/worker/**` (2 files changed, from the push payload)';
      expect(answers[2]?.body).toEqual({ outcome: 'skipped', reason });

      const builds = await t.db.query<{ service_id: string; commit_sha: string }[]>(
        `SELECT service_id, commit_sha FROM deployments WHERE service_id = ANY($1) ORDER BY service_id`,
        [[web.id, api.id, worker.id]],
      );
      expect(builds).toEqual(expect.arrayContaining([{ service_id: web.id, commit_sha: after }, { service_id: api.id, commit_sha: after }]));
      expect(builds).toHaveLength(2);
      // The service normalised what was typed: the context without ./ and /, one pattern per comma.
      const shown = await as(request(t.app).get(`/api/services/${api.id}`)).expect(200);
      expect({ contextDir: shown.body.contextDir, watchPaths: shown.body.watchPaths }).toEqual({ contextDir: 'apps/api', watchPaths: ['apps/api/**', 'packages/shared/**'] });

      // The skipped delivery is recorded with its reason, and listed.
      const listed = await as(request(t.app).get(`/api/services/${worker.id}/webhook-deliveries`)).expect(200);
      expect(listed.body).toEqual([
        expect.objectContaining({ deliveryId, event: 'push', outcome: 'skipped', reason, statusCode: 200, deploymentId: null }),
      ]);
      expect((await as(request(t.app).get(`/api/services/${worker.id}/webhook-deliveries?outcome=accepted`)).expect(200)).body).toHaveLength(1);
      // A redelivery gets the same answer and builds nothing.
      const again = await deliver(worker, payload, deliveryId).expect(200);
      expect(again.body).toEqual({ outcome: 'skipped', reason });
      expect(await t.db.query(`SELECT 1 FROM deployments WHERE service_id = $1`, [worker.id])).toEqual([]);
    });

    it('a skipped push re-sent with a new delivery id is stale: GitHub is not asked again, nothing builds', async () => {
      const service = await newService({ name: 'mreplay', watchPaths: ['apps/web/**'] });
      const before = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      const after = await repo.commit({ 'apps/api/main.go': 'api replayed' });
      // A force push: the payload cannot tell, so the compare API is asked once.
      const payload = pushOf({ before, after, forced: true, commits: [{ modified: ['apps/api/main.go'] }] });
      const asked = t.github.repos.compareRequests.length;
      const first = await deliver(service, payload).expect(200);
      expect(first.body).toMatchObject({ outcome: 'skipped' });
      expect(t.github.repos.compareRequests.length).toBe(asked + 1);

      const replay = await deliver(service, payload).expect(200);
      expect(replay.body).toEqual({ outcome: 'ignored', reason: `stale push: ${after.slice(0, 7)} is already the service's newest push` });
      expect(t.github.repos.compareRequests.length).toBe(asked + 1);
      expect(await t.db.query(`SELECT 1 FROM deployments WHERE service_id = $1`, [service.id])).toEqual([]);
    });

    it('a service without watch paths builds every push, as before', async () => {
      const plain = await newService({ name: 'mplain' });
      const before = (await repo.git('rev-parse', 'HEAD')).stdout.trim();
      const after = await repo.commit({ 'README.md': 'docs only' });
      const answer = await deliver(plain, pushOf({ before, after, commits: [{ modified: ['README.md'] }] })).expect(202);
      expect(answer.body).toMatchObject({ outcome: 'deployed', reason: `push of ${after.slice(0, 7)} to branch "main"` });
    });

    it('refuses a bad context or pattern with a 400 naming the field, and stores nothing', async () => {
      const project = (await as(request(t.app).post('/api/projects')).send({ name: 'monobad' }).expect(201)).body.id as string;
      const bad = await as(request(t.app).post(`/api/projects/${project}/services`))
        .send({ name: 'bad', repoUrl: `https://github.com/${REPO}`, port: 8080, contextDir: '/apps/web', watchPaths: ['apps/web/**', '../secrets/**'] })
        .expect(400);
      expect(bad.body.error.fields).toEqual({
        contextDir: ['Use a path relative to the repository root (apps/web, not /apps/web).'],
        'watchPaths.1': ['Patterns are relative to the repository root: ".." is not allowed.'],
      });
      expect(await t.db.query(`SELECT 1 FROM services WHERE project_id = $1`, [project])).toEqual([]);
      const service = await newService({ name: 'mpatch', watchPaths: ['apps/web/**'] });
      const patch = await as(request(t.app).patch(`/api/services/${service.id}`)).send({ contextDir: 'apps/../..' }).expect(400);
      expect(patch.body.error.fields).toEqual({ contextDir: ['The path may not contain "..".'] });
      const kept = await as(request(t.app).get(`/api/services/${service.id}`)).expect(200);
      expect(kept.body).toMatchObject({ contextDir: '.', watchPaths: ['apps/web/**'] });
    });
  });
});
