/**
 * The parts that let many api replicas and leader-elected controllers share one
 * PostgreSQL (docs/architecture.md#process-roles), each on the real database and real git:
 * the durable copy of the state repo, the outbox, the election and the shared events.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { StateRepo, type CommitMeta } from '@dangus/gitops-writer';
import { DeposedError, DurableState } from '../src/state-repo/durable-state.js';
import { PgListener } from '../src/coordination/pg-listener.js';
import { LeaderElection } from '../src/coordination/leader-election.js';
import { IntentProcessor, OutboxStateSink, retryDelaySeconds } from '../src/coordination/outbox.js';
import { SharedEventBus } from '../src/events/shared-event-bus.js';
import type { DeploymentEvent, LogEvent } from '../src/events/event-bus.js';
import type { DeploymentDto } from '@dangus/common';
import { createTestDatabase } from './support/database.js';
import { changeState, type TenantChange } from '../src/state-repo/state-sink.js';
import type { UseCaseContext } from '../src/use-cases/context.js';

const exec = promisify(execFile);
const logger = pino({ level: 'silent' });

async function git(dir: string, ...args: string[]): Promise<string> {
  return (await exec('git', ['--git-dir', dir, ...args])).stdout.trim();
}

function meta(i: number): CommitMeta {
  return { verb: 'update', summary: `change ${String(i)}`, actor: { name: 'octocat', email: 'octocat@users.noreply.github.com', login: 'octocat' } };
}

function tenantFiles(ns: string, i: number): Map<string, string> {
  return new Map([[`tenants/${ns}/web/service.yaml`, `kind: Service\nmetadata:\n  name: web-${String(i)}\n`]]);
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('replicas on one PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let dir: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'dangus-replicas-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function listener(): Promise<PgListener> {
    const l = new PgListener(database.url, logger);
    await l.start();
    cleanups.push(() => l.stop());
    return l;
  }

  describe('the durable state repo', () => {
    it('a standby rebuilds the leader\'s history from PostgreSQL: same head, same commits, byte for byte', async () => {
      const leaderDir = join(dir, 'leader.git');
      const durable = new DurableState(database.dataSource, leaderDir, logger);
      await durable.sync({ seed: true });
      const repo = await StateRepo.open({ dir: leaderDir, beforeBranchMoves: durable.persist });
      for (let i = 0; i < 5; i += 1) await repo.commitTenant('ns-a', tenantFiles('ns-a', i), meta(i));
      const head = await repo.head();

      const standby = new DurableState(database.dataSource, join(dir, 'standby.git'), logger);
      expect(await standby.sync({ seed: true })).toBe(head);
      expect(await git(join(dir, 'standby.git'), 'rev-list', 'main')).toBe(await git(leaderDir, 'rev-list', 'main'));
      await exec('git', ['--git-dir', join(dir, 'standby.git'), 'fsck', '--strict']);

      // The standby continues the same history after taking over.
      const next = await StateRepo.open({ dir: join(dir, 'standby.git'), beforeBranchMoves: standby.persist });
      const result = await next.commitTenant('ns-a', tenantFiles('ns-a', 99), meta(99));
      expect(await git(join(dir, 'standby.git'), 'rev-parse', `${result.commit ?? ''}^`)).toBe(head);
      expect(await durable.head()).toBe(result.commit);
    });

    it('a deposed leader cannot fork the history: its commit is refused and its branch does not move', async () => {
      const a = new DurableState(database.dataSource, join(dir, 'a.git'), logger);
      const b = new DurableState(database.dataSource, join(dir, 'b.git'), logger);
      await a.sync({ seed: true });
      const repoA = await StateRepo.open({ dir: join(dir, 'a.git'), beforeBranchMoves: a.persist });
      await repoA.commitTenant('ns-a', tenantFiles('ns-a', 1), meta(1));
      await b.sync({ seed: true });
      const repoB = await StateRepo.open({ dir: join(dir, 'b.git'), beforeBranchMoves: b.persist });
      const won = await repoB.commitTenant('ns-a', tenantFiles('ns-a', 2), meta(2));

      const before = await repoA.head();
      await expect(repoA.commitTenant('ns-a', tenantFiles('ns-a', 3), meta(3))).rejects.toBeInstanceOf(DeposedError);
      expect(await repoA.head()).toBe(before);
      expect(await a.head()).toBe(won.commit);
      // Brought up to date, the old leader's copy has the winner's history, not its own refused commit.
      expect(await a.sync({ seed: true })).toBe(won.commit);
      expect(await git(join(dir, 'a.git'), 'rev-parse', 'main')).toBe(won.commit);
    });

    it('the first start after an upgrade stores the existing history; a copy the database does not know is moved aside and rebuilt', async () => {
      const old = await StateRepo.open({ dir: join(dir, 'old.git') });
      for (let i = 0; i < 3; i += 1) await old.commitTenant('ns-a', tenantFiles('ns-a', i), meta(i));
      const oldHead = await old.head();
      const durable = new DurableState(database.dataSource, join(dir, 'old.git'), logger);
      expect(await durable.sync({ seed: true })).toBe(oldHead);
      expect(await durable.head()).toBe(oldHead);

      const stranger = await StateRepo.open({ dir: join(dir, 'stranger.git') });
      await stranger.commitTenant('ns-z', tenantFiles('ns-z', 1), meta(1));
      const copy = new DurableState(database.dataSource, join(dir, 'stranger.git'), logger);
      expect(await copy.sync({ seed: true })).toBe(oldHead);
      expect(await git(join(dir, 'stranger.git'), 'rev-list', '--count', 'main')).toBe('3');
    });
  });

  describe('leader election', () => {
    it('one of two controllers leads, the other waits; the standby takes over when the leader stops, never both at once', async () => {
      let active = 0;
      let overlap = false;
      const led: string[] = [];
      const election = (identity: string) =>
        new LeaderElection({
          url: database.url,
          identity,
          logger,
          retryMs: 100,
          lead: () => {
            active += 1;
            if (active > 1) overlap = true;
            led.push(identity);
            return Promise.resolve(async () => {
              await new Promise((resolve) => setTimeout(resolve, 50));
              active -= 1;
            });
          },
        });
      const first = election('first');
      const second = election('second');
      first.start();
      cleanups.push(() => first.stop());
      await waitFor(() => first.leading);
      second.start();
      cleanups.push(() => second.stop());
      // The standby has asked PostgreSQL for the lock twice while the first leads, and waits.
      await waitFor(() => second.status().attempts >= 2);
      expect(second.leading).toBe(false);
      expect(first.leading).toBe(true);
      // A graceful stop hands over: the standby leads (how soon is e2e/bench/replicas.ts's figure).
      await first.stop();
      await waitFor(() => second.leading);
      expect(first.leading).toBe(false);
      expect(led).toEqual(['first', 'second']);
      expect(overlap).toBe(false);
    });
  });

  describe('the outbox', () => {
    const change = (i: number): TenantChange => ({
      projectId: '00000000-0000-4000-8000-000000000001',
      namespace: 'ns-a',
      serviceName: 'web',
      verb: 'update',
      summary: `change ${String(i)}`,
      actor: { userId: 'u', githubUsername: 'octocat' },
    });

    it('each intent recorded by any replica becomes one commit with its author and subject, and the request waits for it', async () => {
      const repo = await StateRepo.open({ dir: join(dir, 'state.git') });
      const committed: TenantChange[] = [];
      const processor = new IntentProcessor({
        db: database.dataSource,
        listener: await listener(),
        target: {
          commit: async (c) => {
            committed.push(c);
            const result = await repo.commitTenant(c.namespace, tenantFiles(c.namespace, committed.length), {
              verb: c.verb,
              summary: c.summary,
              service: c.serviceName ?? null,
              actor: { name: c.actor.githubUsername, email: `${c.actor.githubUsername}@users.noreply.github.com`, login: c.actor.githubUsername },
            });
            return result;
          },
        },
        logger,
        onDeposed: () => undefined,
      });
      cleanups.push(() => processor.stop());
      const replicas = [
        new OutboxStateSink({ db: database.dataSource, listener: await listener(), waitMs: 10_000, logger }),
        new OutboxStateSink({ db: database.dataSource, listener: await listener(), waitMs: 10_000, logger }),
      ];
      for (let i = 0; i < 4; i += 1) {
        const before = await repo.head();
        await replicas[i % 2]?.tenantChanged(change(i));
        // Answered after the commit: the head moved, and its subject is this change's.
        expect(await repo.head()).not.toBe(before);
        expect(await git(join(dir, 'state.git'), 'log', '-1', '--format=%an|%s', 'main')).toBe(`octocat|update(ns-a/web): change ${String(i)}`);
      }
      const rows: { commit: string | null; done: boolean }[] = await database.dataSource.query(
        `SELECT commit, done_at IS NOT NULL AS done FROM state_intents ORDER BY id`,
      );
      expect(rows).toHaveLength(4);
      expect(rows.every((row) => row.done && row.commit !== null)).toBe(true);
      expect(await git(join(dir, 'state.git'), 'rev-list', '--count', 'main')).toBe('4');
    });

    it('a change and its intent are one transaction: when the intent cannot be written, the change is not either', async () => {
      const sink = new OutboxStateSink({ db: database.dataSource, listener: await listener(), waitMs: 0, logger });
      const ctx = { db: database.dataSource, stateSink: sink } as unknown as UseCaseContext;
      const [user] = await database.dataSource.query<{ id: string }[]>(
        `INSERT INTO users (github_id, github_username, github_access_token, hash) VALUES (7, 'octocat', '', 'abc123') RETURNING id`,
      );
      const createProject = (name: string, namespace: string) =>
        changeState(ctx, async (manager) => {
          await manager.query(`INSERT INTO projects (user_id, name) VALUES ($1, $2)`, [user?.id, name]);
          return { value: undefined, change: { ...change(1), namespace } };
        });
      await createProject('kept', 'abc123-kept');
      // The namespace column holds 63 characters: the intent's insert fails inside the transaction.
      await expect(createProject('lost', 'x'.repeat(64))).rejects.toThrow();
      const projects = await database.dataSource.query<{ name: string }[]>(`SELECT name FROM projects ORDER BY name`);
      expect(projects.map((p) => p.name)).toEqual(['kept']);
      const intents = await database.dataSource.query<{ namespace: string }[]>(`SELECT namespace FROM state_intents`);
      expect(intents.map((i) => i.namespace)).toEqual(['abc123-kept']);
    });

    it('without a controller the request answers after the wait, and the intent is committed once one runs', async () => {
      const sink = new OutboxStateSink({ db: database.dataSource, listener: await listener(), waitMs: 300, logger });
      const started = Date.now();
      await sink.tenantChanged(change(1));
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      const commits: string[] = [];
      const processor = new IntentProcessor({
        db: database.dataSource,
        listener: await listener(),
        target: { commit: (c) => Promise.resolve((commits.push(c.summary), { commit: 'a'.repeat(40), head: 'a'.repeat(40) })) },
        logger,
        onDeposed: () => undefined,
      });
      cleanups.push(() => processor.stop());
      await waitFor(() => commits.length === 1);
      await processor.idle();
      expect(commits).toEqual(['change 1']);
      const [row] = await database.dataSource.query<{ commit: string }[]>(`SELECT commit FROM state_intents`);
      expect(row?.commit).toBe('a'.repeat(40));
    });

    it('a tenant whose change cannot be committed waits and retries alone: other tenants commit in the same pass, its order is kept, a new change retries at once', async () => {
      const other = { ...change(9), projectId: '00000000-0000-4000-8000-000000000002', namespace: 'ns-b', summary: 'other tenant' };
      let broken = true;
      const committed: string[] = [];
      const tried: string[] = [];
      const processor = new IntentProcessor({
        db: database.dataSource,
        listener: await listener(),
        target: {
          commit: (c) => {
            tried.push(c.summary);
            if (broken && c.namespace === 'ns-a') return Promise.reject(new Error('render failed'));
            committed.push(c.summary);
            return Promise.resolve({ commit: null, head: null });
          },
        },
        logger,
        onDeposed: () => undefined,
        resyncMs: 60_000,
        // Longer than the test: a pass can only try it again when a new change clears the wait.
        retryDelay: () => 3600,
      });
      cleanups.push(() => processor.stop());
      const sink = new OutboxStateSink({ db: database.dataSource, listener: await listener(), waitMs: 0, logger });
      await sink.tenantChanged(change(1));
      await sink.tenantChanged(change(2));
      await sink.tenantChanged(other);
      await waitFor(() => committed.includes('other tenant'));
      await processor.idle();
      // Its later change was never tried out of order; the other tenant's went by.
      expect(tried.filter((summary) => summary !== 'change 1')).toEqual(['other tenant']);
      const rows = () =>
        database.dataSource.query<{ summary: string; attempts: number; error: string | null; done: boolean; waits: boolean }[]>(
          `SELECT change->>'summary' AS summary, attempts, error, done_at IS NOT NULL AS done, retry_at > now() AS waits FROM state_intents ORDER BY id`,
        );
      expect((await rows())[0]).toEqual({ summary: 'change 1', attempts: expect.any(Number) as number, error: 'render failed', done: false, waits: true });
      expect((await rows()).map((r) => r.done)).toEqual([false, false, true]);

      // A pass while it waits (a resync) does not try it again before its time.
      const before = tried.length;
      processor.poke();
      await processor.idle();
      expect(tried.length).toBe(before);

      // The fix arrives as a new change of the tenant: its backoff is cleared and all three commit, in order.
      broken = false;
      await sink.tenantChanged(change(3));
      await waitFor(() => committed.includes('change 3'));
      expect(committed).toEqual(['other tenant', 'change 1', 'change 2', 'change 3']);
      expect((await rows()).every((r) => r.done)).toBe(true);
    });

    it('a failed intent is due again after its backoff: 1 s, then doubling, at most 5 minutes', () => {
      expect([1, 2, 3, 4, 9, 10, 50].map(retryDelaySeconds)).toEqual([1, 2, 4, 8, 256, 300, 300]);
    });
  });

  describe('live events through PostgreSQL', () => {
    const dto = (id: string, status: string) => ({ id, status }) as unknown as DeploymentDto;
    const userId = '00000000-0000-4000-8000-00000000000a';

    it('a deployment event published by one process reaches a stream on another, with an id it resumes from', async () => {
      const controller = new SharedEventBus({ db: database.dataSource, listener: await listener(), logger });
      const api = new SharedEventBus({ db: database.dataSource, listener: await listener(), logger });
      const seen: DeploymentEvent[] = [];
      const off = api.onDeployment(userId, (event) => seen.push(event));
      cleanups.push(() => {
        off();
        return Promise.resolve();
      });
      for (const status of ['pending', 'building', 'live']) controller.deploymentChanged({ userId, deployment: dto('d1', status) });
      await controller.flushed();
      await waitFor(() => seen.length === 3);
      expect(seen.map((event) => event.deployment.status)).toEqual(['pending', 'building', 'live']);
      const ids = seen.map((event) => BigInt(event.id ?? '0'));
      expect(ids[1]).toBeGreaterThan(ids[0] ?? 0n);
      // Resumed after the first on a third process: the two later ones, in order, once.
      const other = new SharedEventBus({ db: database.dataSource, listener: await listener(), logger });
      const resumed = await other.deploymentsAfter(userId, seen[0]?.id ?? '0');
      expect(resumed.map((event) => event.deployment.status)).toEqual(['building', 'live']);
      expect(await other.deploymentsAfter('00000000-0000-4000-8000-00000000000b', '0')).toEqual([]);
    });

    it('log pieces arrive in order on another process; a piece too long for a notification is announced by its end', async () => {
      const controller = new SharedEventBus({ db: database.dataSource, listener: await listener(), logger });
      const api = new SharedEventBus({ db: database.dataSource, listener: await listener(), logger });
      const pieces: LogEvent[] = [];
      let ended = false;
      const off = api.onLog('dep-1', (event) => pieces.push(event), () => (ended = true));
      cleanups.push(() => {
        off();
        return Promise.resolve();
      });
      const long = 'x'.repeat(10_000);
      controller.logAppended({ deploymentId: 'dep-1', offset: 0, text: 'step 1\n' });
      controller.logAppended({ deploymentId: 'dep-1', offset: 7, text: 'step 2\n' });
      controller.logAppended({ deploymentId: 'dep-1', offset: 14, text: long });
      controller.logEnded({ deploymentId: 'dep-1' });
      await controller.flushed();
      await waitFor(() => ended);
      expect(pieces).toEqual([
        { deploymentId: 'dep-1', offset: 0, text: 'step 1\n' },
        { deploymentId: 'dep-1', offset: 7, text: 'step 2\n' },
        { deploymentId: 'dep-1', offset: 14 + long.length, text: '' },
      ]);
    });
  });
});
