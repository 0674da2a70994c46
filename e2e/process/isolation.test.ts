/**
 * One tenant can never stop the platform (docs/architecture.md#failure-isolation), with
 * the processes as production runs them: an api replica and two leader-elected
 * controllers, each a real `npm start` process on one PostgreSQL. A tenant made
 * unrenderable by a row written directly holds back only its own changes, through a
 * kill of the leader and a restart; its owner and the admins see why; it heals by
 * itself once the row is fixed. Changes made while no controller leads reach git
 * each as its own commit, with its author (issue 26, part 10).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ServiceDto, TenantFailureDto } from '@dangus/common';
import { createTestDatabase } from '@dangus/api/test-support/database';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { jsonCaller, signInLocal, startReplicaSet, until, type ReplicaSet } from '../support/replica-set.js';

const exec = promisify(execFile);

describe('failure isolation with api and controller roles', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: FakeGitHub;
  let set: ReplicaSet;
  let cookie: string;
  let dir: string;
  let origin: string;
  let clones = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-isolation-'));
    database = await createTestDatabase();
    github = new FakeGitHub();
    await github.start();
    set = await startReplicaSet({
      databaseUrl: database.url,
      apis: 2,
      controllers: 2,
      // No cluster: the outbox, the leader and the state repo are what is under test.
      env: { GITHUB_API_URL: github.url, GITHUB_WEB_URL: github.url, COMMIT_WAIT_SECONDS: '3', MAX_STREAMS_PER_USER: '3' },
    });
    origin = set.balancer.origin;
    cookie = await signInLocal(origin);
  }, 180_000);

  afterAll(async () => {
    await set.stop();
    await github.stop();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const call = <T>(method: string, path: string, body?: unknown) => jsonCaller(origin, cookie)<T>(method, path, body);

  /** git on a fresh clone of `/state.git` (through the balancer: any api replica's mirror). */
  const clone = async (): Promise<(...args: string[]) => Promise<string>> => {
    const target = join(dir, `clone-${String((clones += 1))}.git`);
    const url = `${origin}/state.git`.replace('http://', `http://reader:${set.token}@`);
    await exec('git', ['clone', '--quiet', '--bare', url, target]);
    return async (...args) => (await exec('git', ['--git-dir', target, ...args])).stdout;
  };
  /** `author|subject` of the commits touching `paths`, newest first. */
  const log = async (...paths: string[]): Promise<string[]> => {
    const out = await (await clone())('log', '--format=%an|%s', 'HEAD', '--', ...paths);
    return out.trim().split('\n').filter((line) => line !== '');
  };
  const headFile = async (path: string): Promise<string> => (await clone())('show', `HEAD:${path}`);
  const committed = (subject: string, timeoutMs = 30_000) =>
    until(async () => (await log()).some((line) => line.endsWith(subject)), `the commit "${subject}"`, timeoutMs);

  const project = (name: string) => call<{ id: string; namespace: string }>('POST', '/api/projects', { name });
  const service = (projectId: string, name: string) =>
    call<ServiceDto>('POST', `/api/projects/${projectId}/services`, { name, repoUrl: `https://github.com/acme/${name}`, port: 8080 });
  const intents = async (namespace: string) =>
    database.dataSource.query<{ done: boolean; attempts: number; error: string | null }[]>(
      `SELECT done_at IS NOT NULL AS done, attempts, error FROM state_intents WHERE namespace = $1 ORDER BY id`,
      [namespace],
    );

  it('an unrenderable tenant waits alone: others commit, through a failover and a restart, and it heals when its row is fixed', async () => {
    const me = await call<{ githubUsername: string }>('GET', '/auth/me');
    const healthy = await project('healthy');
    const broken = await project('broken');
    const web = await service(broken.id, 'web');
    await committed('create service web');

    // A row no api request could write: the renderer refuses the health check path.
    await database.dataSource.query(`UPDATE services SET health_check_path = 'no-slash' WHERE id = $1`, [web.id]);
    for (const port of [8081, 8082, 8083]) await call('PATCH', `/api/services/${web.id}`, { port });
    await until(async () => ((await intents(broken.namespace)).at(-3)?.attempts ?? 0) > 0, 'the broken change to be tried');

    // Another tenant's changes commit as usual, each with its author.
    await service(healthy.id, 'api');
    await committed('create service api');
    expect((await log(`tenants/${healthy.namespace}`))[0]).toBe(`${me.githubUsername}|create(${healthy.namespace}/api): create service api`);

    // The owner sees why on the service; the admins see the tenant on the System page.
    const seen = await call<ServiceDto>('GET', `/api/services/${web.id}`);
    expect(seen.syncError?.message).toMatch(/service "web", healthCheckPath: Start with "\/"/);
    const stuck = await call<TenantFailureDto[]>('GET', '/api/system/tenant-failures');
    expect(stuck.map((f) => f.namespace)).toEqual([broken.namespace]);
    // Held in order: the first change failed, the two after it were not tried out of turn.
    expect((await intents(broken.namespace)).slice(-3).map((i) => [i.done, i.attempts > 0])).toEqual([
      [false, true],
      [false, false],
      [false, false],
    ]);

    // kill -9 of the leader: the standby's start-up reconcile skips the broken tenant and leads.
    const leader = await set.leader();
    await set.kill(leader);
    await service(healthy.id, 'after-failover');
    await committed('create service after-failover');
    // A restarted controller joins as the standby; the leader keeps working.
    await set.start('controller');
    await service(healthy.id, 'after-restart');
    await committed('create service after-restart');
    expect((await call<TenantFailureDto[]>('GET', '/api/system/tenant-failures')).map((f) => f.namespace)).toEqual([broken.namespace]);

    // Fixed by a row too: the backoff's retry commits the waiting changes, in order, with their author (the
    // first one's render reads the database as it is now: it holds the two after it, which commit nothing more).
    await database.dataSource.query(`UPDATE services SET health_check_path = NULL WHERE id = $1`, [web.id]);
    await until(async () => (await intents(broken.namespace)).every((i) => i.done), 'the broken tenant to heal', 120_000);
    const history = await log(`tenants/${broken.namespace}`);
    expect(history[0]).toBe(`${me.githubUsername}|update(${broken.namespace}/web): update port`);
    expect(await headFile(`tenants/${broken.namespace}/web/service.yaml`)).toContain('port: 8083');
    expect((await call<ServiceDto>('GET', `/api/services/${web.id}`)).syncError).toBeNull();
    expect(await call<TenantFailureDto[]>('GET', '/api/system/tenant-failures')).toEqual([]);
  });

  it('changes made while no controller leads are each committed with their author once one leads', async () => {
    const me = await call<{ githubUsername: string }>('GET', '/auth/me');
    for (const controller of set.controllers()) await set.kill(controller);
    // Answered after the commit wait: recorded, not yet committed.
    const offline = await project('offline');
    await service(offline.id, 'late');
    expect(await log(`tenants/${offline.namespace}`)).toEqual([]);

    await set.start('controller');
    await set.leader();
    await committed('create project offline');
    // The first intent's commit is the member's, not the start-up reconcile's; its render read the
    // database after both changes, so it holds the service too and the second intent adds nothing.
    const history = await log(`tenants/${offline.namespace}`);
    expect(history).toEqual([`${me.githubUsername}|create(${offline.namespace}): create project offline`]);
    expect(await headFile(`tenants/${offline.namespace}/late/service.yaml`)).toContain('name: late');
    const holders = await database.dataSource.query<{ commit: string | null }[]>(
      `SELECT commit FROM state_intents WHERE namespace = $1 ORDER BY id`,
      [offline.namespace],
    );
    expect(new Set(holders.map((h) => h.commit)).size).toBe(1);
    expect(holders[0]?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect((await intents(offline.namespace)).map((i) => i.done)).toEqual([true, true]);
  });

  it("a user's live streams are counted across api replicas", async () => {
    const [a, b] = set.apis();
    if (!a || !b) throw new Error('two api replicas');
    const streams: AbortController[] = [];
    const openOn = async (replica: typeof a): Promise<number> => {
      const abort = new AbortController();
      const res = await fetch(`${replica.process.origin}/api/events`, { headers: { Cookie: cookie, Origin: origin }, signal: abort.signal });
      if (res.status === 200) streams.push(abort);
      else await res.body?.cancel();
      return res.status;
    };
    try {
      expect([await openOn(a), await openOn(a), await openOn(b)]).toEqual([200, 200, 200]);
      expect([await openOn(a), await openOn(b)]).toEqual([429, 429]);
      // A stream closed on one replica frees a place on the other.
      streams.shift()?.abort();
      await until(async () => (await openOn(b)) === 200, 'a place freed by the closed stream', 10_000);
    } finally {
      for (const stream of streams) stream.abort();
    }
  });
});
