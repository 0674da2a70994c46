import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import request from 'supertest';
import { StateRepo, parseTemplates, readTemplates, type WriteLock } from '@dangus/gitops-writer';
import { STATE_REPO_LOCK_KEY } from '../src/state-repo/advisory-lock.js';
import { EnvRevision } from '../src/state-repo/env-revision.js';
import { GitopsStateSink } from '../src/state-repo/gitops-state-sink.js';
import { openStateWriter, renderSettingsOf } from '../src/state-repo/state-writer.js';
import { TenantFailures } from '../src/state-repo/tenant-failures.js';
import { TenantLoader } from '../src/state-repo/tenant-loader.js';
import { loadConfig } from '../src/config/config.js';
import { Encryptor } from '../src/crypto/encryption.js';
import { ORIGIN, startTestPlatform, type TestPlatform } from './support/platform.js';
import { startGitServer } from './support/git-server.js';
import { freePort } from '../src/db/embedded-postgres.js';

const exec = promisify(execFile);
const TOKEN = 'state-repo-token-0123456789';

/** The git CLI on the state repo: what an operator (or Flux) would see. */
async function git(t: TestPlatform, ...args: string[]): Promise<string> {
  const { stdout } = await exec('git', ['--git-dir', t.stateRepoDir, ...args]);
  return stdout;
}

describe('the state repo, written from the API', () => {
  let t: TestPlatform;
  let cookie: string;
  const post = (path: string, body: object) => request(t.app).post(`/api${path}`).set('Cookie', cookie).set('Origin', ORIGIN).send(body);

  beforeEach(async () => {
    t = await startTestPlatform({ STATE_REPO_TOKEN: TOKEN, ADMIN_GITHUB_USERS: 'octocat' });
    cookie = await t.signIn('octocat', 4242);
  });
  afterEach(async () => {
    await t.close();
  });

  it('creating a project and a service leaves one commit each, authored by that user, with the expected files', async () => {
    const project = await post('/projects', { name: 'shop' }).expect(201);
    const ns = project.body.namespace as string;
    await post(`/projects/${project.body.id as string}/services`, {
      name: 'web',
      repoUrl: 'https://github.com/acme/web',
      port: 8080,
      storageGb: 2,
    }).expect(201);
    const log = (await git(t, 'log', '--format=%an|%cn|%s')).trim().split('\n');
    // On top of the controller's first commit: its reconcile of an empty repo at start-up.
    expect(log).toEqual([
      `octocat|Dangus Cloud|create(${ns}/web): create service web`,
      `octocat|Dangus Cloud|create(${ns}): create project shop`,
      'Dangus Cloud|Dangus Cloud|reconcile(*): render every tenant from the database',
    ]);
    const files = (await git(t, 'ls-tree', '-r', '--name-only', 'HEAD')).trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'kustomization.yaml',
        `tenants/${ns}/kustomization.yaml`,
        `tenants/${ns}/namespace.yaml`,
        `tenants/${ns}/web/service.yaml`,
        `tenants/${ns}/web/ingress.yaml`,
        `tenants/${ns}/web/pvc.yaml`,
      ]),
    );
    const ingress = await git(t, 'show', `HEAD:tenants/${ns}/web/ingress.yaml`);
    expect(ingress).toContain(`host: ${ns}--web.dangus.localhost`);
    expect(await git(t, 'show', 'HEAD:kustomization.yaml')).toContain(`tenants/${ns}`);
    await exec('git', ['--git-dir', t.stateRepoDir, 'fsck', '--strict']);
  });

  it('an env change commits a new env-revision annotation, never the value', async () => {
    const project = await post('/projects', { name: 'shop' }).expect(201);
    const ns = project.body.namespace as string;
    const svc = await post(`/projects/${project.body.id as string}/services`, {
      name: 'web',
      repoUrl: 'https://github.com/acme/web',
      port: 8080,
    }).expect(201);
    // A deployed image, as the pipeline records it (the current deployment): the Deployment then exists.
    await t.db.query(
      `WITH d AS (INSERT INTO deployments (service_id, commit_sha, status, image_tag) VALUES ($1, $2, 'live', $3) RETURNING id)
       UPDATE services SET current_deployment_id = d.id FROM d WHERE services.id = $1`,
      [svc.body.id, 'c'.repeat(40), `harbor.local/dangus/${ns}/web:${'c'.repeat(40)}`],
    );
    await t.writer.sink.reconcile();
    const before = await git(t, 'show', `HEAD:tenants/${ns}/web/deployment.yaml`);
    const commitsBefore = Number((await git(t, 'rev-list', '--count', 'HEAD')).trim());
    await post(`/services/${svc.body.id as string}/env`, { key: 'API_KEY', value: 'hunter2-secret' }).expect(201);
    const after = await git(t, 'show', `HEAD:tenants/${ns}/web/deployment.yaml`);
    expect(Number((await git(t, 'rev-list', '--count', 'HEAD')).trim())).toBe(commitsBefore + 1);
    expect(after).not.toBe(before);
    expect(after).toMatch(/hmac-sha256:[0-9a-f]{64}/);
    const everything = await git(t, 'log', '-p', '--all');
    expect(everything).not.toContain('hunter2-secret');
    expect((await git(t, 'log', '-1', '--format=%s')).trim()).toBe(`env(${ns}/web): set API_KEY`);
    // The env change rolls the current image out again as a new deployment row (no build).
    const rows: { trigger: string; status: string; image_tag: string; commit_message: string }[] = await t.db.query(
      `SELECT d.trigger, d.status, d.image_tag, d.commit_message FROM services s JOIN deployments d ON d.id = s.current_deployment_id WHERE s.id = $1`,
      [svc.body.id],
    );
    expect(rows).toEqual([
      { trigger: 'config', status: 'deploying', image_tag: `harbor.local/dangus/${ns}/web:${'c'.repeat(40)}`, commit_message: 'Configuration change: set API_KEY' },
    ]);
    expect(after).toContain(`dangus.cloud/deployment: `);
  });

  it('deleting a project removes its tenant directory in one commit', async () => {
    const project = await post('/projects', { name: 'gone' }).expect(201);
    await request(t.app).delete(`/api/projects/${project.body.id as string}`).set('Cookie', cookie).set('Origin', ORIGIN).expect(204);
    const files = await git(t, 'ls-tree', '-r', '--name-only', 'HEAD');
    expect(files).not.toContain(project.body.namespace as string);
    expect((await git(t, 'log', '-1', '--format=%s')).trim()).toBe(`delete(${project.body.namespace as string}): delete project gone`);
  });

  it('reconcile heals a database write whose commit was lost, and a second reconcile commits nothing', async () => {
    await post('/projects', { name: 'shop' }).expect(201);
    const user = await t.db.query<{ id: string; hash: string }[]>(`SELECT id, hash FROM users`);
    // A crash between the database commit and the git commit: the row exists, the files don't.
    await t.db.query(`INSERT INTO projects (user_id, name) VALUES ($1, 'orphan')`, [user[0]?.id]);
    const first = await t.writer.sink.reconcile();
    expect(first.commit).toMatch(/^[0-9a-f]{40}$/);
    expect((await git(t, 'log', '-1', '--format=%an|%s')).trim()).toBe('Dangus Cloud|reconcile(*): render every tenant from the database');
    expect(await git(t, 'ls-tree', '-r', '--name-only', 'HEAD')).toContain(`tenants/${user[0]?.hash ?? ''}-orphan/namespace.yaml`);
    const second = await t.writer.sink.reconcile();
    expect(second.commit).toBeNull();
  });

  it('a reconcile leaves a change waiting in the outbox to its own commit, with its author and subject', async () => {
    await post('/projects', { name: 'shop' }).expect(201);
    const [user] = await t.db.query<{ id: string; hash: string; github_username: string }[]>(`SELECT id, hash, github_username FROM users`);
    if (!user) throw new Error('no user');
    const namespace = `${user.hash}-late`;
    // A change recorded while the reconcile runs: its rows and its intent, not yet taken
    // by the outbox (held for a while, so the processor does not take it first).
    const [project] = await t.db.query<{ id: string }[]>(`INSERT INTO projects (user_id, name) VALUES ($1, 'late') RETURNING id`, [user.id]);
    if (!project) throw new Error('no project');
    const change = { projectId: project.id, namespace, verb: 'create', summary: 'create project late', actor: { userId: user.id, githubUsername: user.github_username } };
    await t.db.query(`INSERT INTO state_intents (project_id, namespace, change, retry_at) VALUES ($1, $2, $3, now() + interval '1 hour')`, [project.id, namespace, JSON.stringify(change)]);

    const reconciled = await t.writer.sink.reconcile();
    expect(reconciled.commit).toBeNull();
    expect(await git(t, 'ls-tree', '-d', '--name-only', 'HEAD:tenants')).not.toContain(namespace);

    await t.db.query(`UPDATE state_intents SET retry_at = NULL WHERE project_id = $1`, [project.id]);
    t.controller.processor.poke();
    await t.controller.processor.idle();
    expect((await git(t, 'log', '-1', '--format=%an|%s')).trim()).toBe(`${user.github_username}|create(${namespace}): create project late`);
    const [intent] = await t.db.query<{ commit: string }[]>(`SELECT commit FROM state_intents WHERE project_id = $1`, [project.id]);
    expect(intent?.commit).toBe((await git(t, 'rev-parse', 'HEAD')).trim());
  });

  // The direct path into the writer (`commit`, no outbox): these two tests are about the
  // writer's own lock, with two writers racing, which one controller's outbox never makes.
  it('a change whose render is slow never commits an older state over a newer change', async () => {
    const project = await post('/projects', { name: 'slow' }).expect(201);
    const projectId = project.body.id as string;
    const ns = project.body.namespace as string;
    const writer = t.writer;
    const insert = (name: string) =>
      t.db.query(
        `INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret)
         SELECT $1, user_id, $2, $3, 'https://github.com/a/b', 80, 'x' FROM projects WHERE id = $1`,
        [projectId, name, `${ns}--${name}`],
      );
    const loaderDeps = { db: t.db, encryptor: new Encryptor('k1', t.encryptionKey), envRevision: new EnvRevision(t.encryptionKey) };
    // The first writer: the api's own repo, with the real loader held up after it has read
    // (the render of an older snapshot, late); it tells what it read.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let read: (services: string[]) => void = () => undefined;
    const firstRead = new Promise<string[]>((resolve) => (read = resolve));
    class HeldLoader extends TenantLoader {
      override async load(id: string) {
        const tenant = await super.load(id);
        read(tenant?.services.map((s) => s.name) ?? []);
        await gate;
        return tenant;
      }
    }
    // The second writer: another replica (a repo handle and queue of its own) behind the same
    // PostgreSQL advisory lock, which tells when it finds the lock held and has to wait.
    let blocked: () => void = () => undefined;
    const secondBlocked = new Promise<'blocked'>((resolve) => (blocked = () => resolve('blocked')));
    const observedLock: WriteLock = {
      async withLock(fn) {
        const runner = t.db.createQueryRunner();
        await runner.connect();
        try {
          const [got] = (await runner.query('SELECT pg_try_advisory_lock($1) AS ok', [STATE_REPO_LOCK_KEY])) as { ok: boolean }[];
          if (got?.ok !== true) {
            blocked();
            await runner.query('SELECT pg_advisory_lock($1)', [STATE_REPO_LOCK_KEY]);
          }
          try {
            return await fn();
          } finally {
            await runner.query('SELECT pg_advisory_unlock($1)', [STATE_REPO_LOCK_KEY]);
          }
        } finally {
          await runner.release();
        }
      },
    };
    const config = loadConfig({ DATABASE_URL: 'postgres://unused', ENCRYPTION_KEY: t.encryptionKey.toString('base64'), SESSION_SECRET: 'x'.repeat(32) });
    const templates = parseTemplates(await readTemplates(undefined));
    const sink = (repo: StateRepo, loader: TenantLoader) =>
      new GitopsStateSink({ repo, loader, settings: renderSettingsOf(config), templates, failures: new TenantFailures(t.db), logger: pino({ level: 'silent' }) });
    const slow = sink(writer.repo, new HeldLoader(loaderDeps));
    const other = sink(await StateRepo.open({ dir: t.stateRepoDir, lock: observedLock }), new TenantLoader(loaderDeps));
    const actor = { userId: 'u', githubUsername: 'octocat' };

    await insert('svc-a');
    const first = slow.commit({ projectId, namespace: ns, serviceName: 'svc-a', verb: 'create', summary: 'create service svc-a', actor });
    expect(await firstRead).toEqual(['svc-a']);
    await insert('svc-b');
    const second = other.commit({ projectId, namespace: ns, serviceName: 'svc-b', verb: 'create', summary: 'create service svc-b', actor });
    // While the first render is held, the second change either waits for the lock or (were the
    // render outside the write's turn) commits at once; only then may the first go on.
    const whileHeld = await Promise.race([second.then(() => 'committed' as const), secondBlocked]);
    open();
    await Promise.all([first, second]);

    const files = await git(t, 'ls-tree', '-r', '--name-only', 'HEAD');
    expect(files).toContain(`tenants/${ns}/svc-a/service.yaml`);
    expect(files).toContain(`tenants/${ns}/svc-b/service.yaml`);
    // The race took place: the second change waited for the first's held render.
    expect(whileHeld).toBe('blocked');
    expect((await git(t, 'log', '--format=%s', '-2')).trim().split('\n')).toEqual([
      `create(${ns}/svc-b): create service svc-b`,
      `create(${ns}/svc-a): create service svc-a`,
    ]);
  });

  it('two writers (as two api replicas) on one database and repo never lose a change', async () => {
    const project = await post('/projects', { name: 'race' }).expect(201);
    // A second writer of its own (own queue, own repo handle) on the same repo and
    // database: only the PostgreSQL advisory lock keeps the two apart.
    const second = await openStateWriter({
      config: loadConfig({ DATABASE_URL: 'postgres://unused', ENCRYPTION_KEY: t.encryptionKey.toString('base64'), SESSION_SECRET: 'x'.repeat(32), STATE_REPO_DIR: t.stateRepoDir }),
      db: t.db,
      encryptor: new Encryptor('k1', t.encryptionKey),
      encryptionKey: t.encryptionKey,
      logger: pino({ level: 'silent' }),
    });
    const first = t.writer.sink;
    const ns = project.body.namespace as string;
    const actor = { userId: 'u', githubUsername: 'octocat' };
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        await t.db.query(
          `INSERT INTO services (project_id, user_id, name, host, repo_url, port, webhook_secret)
           SELECT $1, user_id, $2, $3, 'https://github.com/a/b', 80, 'x' FROM projects WHERE id = $1`,
          [project.body.id, `svc-${i}`, `${ns}--svc-${i}`],
        );
        const sink = i % 2 === 0 ? first : second.sink;
        await sink.commit({ projectId: project.body.id as string, namespace: ns, serviceName: `svc-${i}`, verb: 'create', summary: `create service svc-${i}`, actor });
      }),
    );
    const files = await git(t, 'ls-tree', '-r', '--name-only', 'HEAD');
    for (let i = 0; i < 10; i += 1) expect(files).toContain(`tenants/${ns}/svc-${i}/service.yaml`);
    // Linear history, every object sound: no commit was overwritten or half-written.
    expect((await git(t, 'rev-list', '--merges', 'HEAD')).trim()).toBe('');
    await exec('git', ['--git-dir', t.stateRepoDir, 'fsck', '--strict']);
    expect((await second.sink.reconcile()).commit).toBeNull();
  });
});

describe('/state.git over smart HTTP', () => {
  let t: TestPlatform;
  let server: Server;
  let base: string;
  let dir: string;

  beforeAll(async () => {
    t = await startTestPlatform({ STATE_REPO_TOKEN: TOKEN, ADMIN_GITHUB_USERS: 'octocat' });
    const cookie = await t.signIn('octocat', 4242);
    await request(t.app).post('/api/projects').set('Cookie', cookie).set('Origin', ORIGIN).send({ name: 'cloned' }).expect(201);
    server = await new Promise<Server>((resolve) => {
      const s = t.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/state.git`;
    dir = await mkdtemp(join(tmpdir(), 'dangus-clone-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
    await t.close();
  });

  it('git clone with the token gets the head commit', async () => {
    const url = base.replace('http://', `http://reader:${TOKEN}@`);
    await exec('git', ['clone', '--quiet', url, join(dir, 'ok')]);
    const { stdout } = await exec('git', ['-C', join(dir, 'ok'), 'rev-parse', 'HEAD']);
    expect(stdout.trim()).toBe((await git(t, 'rev-parse', 'HEAD')).trim());
  });

  it('git clone without the token, or with a wrong one, is refused', async () => {
    const env = { ...process.env, GIT_TERMINAL_PROMPT: '0' };
    await expect(exec('git', ['clone', '--quiet', base, join(dir, 'anon')], { env })).rejects.toThrow();
    await expect(
      exec('git', ['clone', '--quiet', base.replace('http://', 'http://reader:wrong-token@'), join(dir, 'wrong')], { env }),
    ).rejects.toThrow();
    const res = await fetch(`${base}/info/refs?service=git-upload-pack`);
    expect(res.status).toBe(401);
  });

  it.each([
    ['a push offer', '/info/refs?service=git-receive-pack', 'GET', 403],
    ['a push offer behind another service parameter', '/info/refs?service=x&service=git-receive-pack', 'GET', 403],
    ['a push offer behind the fetch parameter', '/info/refs?service=git-upload-pack&service=git-receive-pack', 'GET', 403],
    ['a push', '/git-receive-pack', 'POST', 403],
    ['the dumb protocol', '/info/refs', 'GET', 404],
    ['a loose object path', '/HEAD', 'GET', 404],
    ['two fetch parameters', '/info/refs?service=git-upload-pack&service=git-upload-pack', 'GET', 404],
  ])('%s is refused (%s)', async (_label, path, method, status) => {
    const res = await fetch(`${base}${path}`, { method, headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).not.toMatch(/git-receive-pack/);
    expect(await res.text()).not.toMatch(/receive-pack|report-status/);
  });

  it('advertises the fetch service only', async () => {
    const res = await fetch(`${base}/info/refs?service=git-upload-pack`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
  });
});

describe('pushing the state repo to a remote', () => {
  const REMOTE_TOKEN = 'remote-token-abcdef';

  async function remoteHead(repoDir: string): Promise<string> {
    const { stdout } = await exec('git', ['--git-dir', repoDir, 'rev-parse', 'main']);
    return stdout.trim();
  }

  it('every commit reaches the remote, and the push state is shown', async () => {
    const remote = await startGitServer(REMOTE_TOKEN);
    const t = await startTestPlatform({ STATE_REPO_REMOTE: remote.url, STATE_REPO_REMOTE_TOKEN: REMOTE_TOKEN, ADMIN_GITHUB_USERS: 'octocat' });
    try {
      const cookie = await t.signIn('octocat', 4242);
      await request(t.app).post('/api/projects').set('Cookie', cookie).set('Origin', ORIGIN).send({ name: 'pushed' }).expect(201);
      await t.writer.pusher?.idle();
      expect(t.writer.pusher?.status.error).toBeNull();
      const head = (await git(t, 'rev-parse', 'HEAD')).trim();
      expect(await remoteHead(remote.repoDir)).toBe(head);
      const status = await request(t.app).get('/api/system/state-repo').set('Cookie', cookie).expect(200);
      expect(status.body).toEqual({
        head,
        remote: expect.objectContaining({ remote: remote.url, state: 'ok', pushedCommit: head, error: null, failures: 0 }) as object,
      });
      expect(JSON.stringify(status.body)).not.toContain(REMOTE_TOKEN);
    } finally {
      await t.close();
      await remote.stop();
    }
  });

  it('a remote that is down never blocks a write; the push is retried until it lands', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/remote.git`;
    const t = await startTestPlatform({ STATE_REPO_REMOTE: url, STATE_REPO_REMOTE_TOKEN: REMOTE_TOKEN, ADMIN_GITHUB_USERS: 'octocat' });
    let remote: Awaited<ReturnType<typeof startGitServer>> | undefined;
    try {
      const cookie = await t.signIn('octocat', 4242);
      await request(t.app).post('/api/projects').set('Cookie', cookie).set('Origin', ORIGIN).send({ name: 'later' }).expect(201);
      const pusher = t.writer.pusher;
      if (!pusher) throw new Error('no pusher');
      await pusher.until((status) => status.state === 'failing');
      const failing = await request(t.app).get('/api/system/state-repo').set('Cookie', cookie).expect(200);
      expect(failing.body.remote).toEqual(expect.objectContaining({ state: 'failing', error: expect.any(String) as string }));
      expect(await t.db.query(`SELECT name FROM projects`)).toEqual([{ name: 'later' }]);
      remote = await startGitServer(REMOTE_TOKEN, port);
      const head = (await git(t, 'rev-parse', 'HEAD')).trim();
      // The retry after the backoff lands: the status says so, and the remote holds the head.
      expect(await pusher.until((status) => status.state === 'ok')).toEqual(expect.objectContaining({ pushedCommit: head, error: null, failures: 0 }));
      expect(await remoteHead(remote.repoDir)).toBe(head);
    } finally {
      await t.close();
      await remote?.stop();
    }
  });
});

describe('BUILD_EGRESS_CIDR, from the environment to the state repo', () => {
  /** The NetworkPolicies of a new project's namespace.yaml at HEAD, by name, as committed. */
  async function policiesCommitted(env: Record<string, string>): Promise<{ ns: string; policies: Map<string, string> }> {
    const t = await startTestPlatform({ ADMIN_GITHUB_USERS: 'octocat', ...env });
    try {
      const cookie = await t.signIn('octocat', 4242);
      const project = await request(t.app).post('/api/projects').set('Cookie', cookie).set('Origin', ORIGIN).send({ name: 'shop' }).expect(201);
      const ns = project.body.namespace as string;
      const docs = (await git(t, 'show', `HEAD:tenants/${ns}/namespace.yaml`)).split(/^---\n/m);
      const policies = docs.filter((doc) => doc.includes('kind: NetworkPolicy\n'));
      return { ns, policies: new Map(policies.map((doc) => [/^ {2}name: (\S+)$/m.exec(doc)?.[1] ?? '', doc])) };
    } finally {
      await t.close();
    }
  }

  it('with a CIDR set, the tenant committed has a build-egress policy to it, for build pods only', async () => {
    const { ns, policies } = await policiesCommitted({ BUILD_EGRESS_CIDR: '10.43.7.20/32' });
    expect([...policies.keys()]).toEqual(['tenant-isolation', 'tenant-egress', 'build-egress']);
    const policy = policies.get('build-egress') ?? '';
    expect(policy).toContain(`  name: build-egress\n  namespace: ${ns}\n`);
    expect(policy).toContain(
      [
        'spec:',
        '  egress:',
        '    - to:',
        '        - ipBlock:',
        '            cidr: 10.43.7.20/32',
        '  podSelector:',
        '    matchLabels:',
        '      dangus.cloud/role: build',
        '  policyTypes:',
        '    - Egress',
      ].join('\n'),
    );
  });

  it('without it, the tenant committed has no build-egress policy', async () => {
    const { policies } = await policiesCommitted({});
    expect([...policies.keys()]).toEqual(['tenant-isolation', 'tenant-egress']);
  });
});
