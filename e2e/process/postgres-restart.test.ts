/**
 * PostgreSQL restarted under load, with two api replicas and two controllers
 * (docs/architecture.md#process-roles): both roles reconnect by themselves, every
 * change the platform accepted is in the state repo once, and none is committed twice.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '@dangus/api/embedded-postgres';
import { leaderOf, signInLocal, startReplicaSet, until, type ReplicaSet } from '../support/replica-set.js';

const exec = promisify(execFile);

describe('PostgreSQL restarted under load', () => {
  let dir: string;
  let port: number;
  let database: EmbeddedDatabase | undefined;
  let set: ReplicaSet | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-pg-restart-'));
    // As root, PostgreSQL runs as an unprivileged user, which must reach its data dir.
    await chmod(dir, 0o755);
    port = await freePort();
    database = await startEmbeddedPostgres(join(dir, 'pg'), { port });
    set = await startReplicaSet({ databaseUrl: database.url, env: { MAX_PROJECTS_PER_USER: '0', COMMIT_WAIT_SECONDS: '10' } });
  }, 180_000);

  afterAll(async () => {
    await set?.stop();
    await database?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('both roles reconnect; every accepted change is committed exactly once', async () => {
    if (!set || !database) throw new Error('beforeAll did not finish');
    const origin = set.balancer.origin;
    const cookie = await signInLocal(origin);
    await set.leader();
    const accepted: string[] = [];
    const refused: string[] = [];
    const load = { stop: false };
    const create = async (name: string) => {
      try {
        const res = await fetch(`${origin}/api/projects`, {
          method: 'POST',
          headers: { Cookie: cookie, Origin: origin, 'Content-Type': 'application/json' },
          body: JSON.stringify({ name }),
        });
        if (res.status === 201) accepted.push(name);
        else refused.push(name);
      } catch {
        refused.push(name);
      }
      if (refused.at(-1) === name) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    let n = 0;
    const writer = (async () => {
      while (!load.stop) await create(`p${String(++n)}`);
    })();
    await until(() => Promise.resolve(accepted.length >= 5), 'the first changes');
    await database.stop();
    // PostgreSQL stays down until both roles felt it: a change refused, and no controller leading.
    const down = refused.length;
    await until(() => Promise.resolve(refused.length > down), 'a change refused while PostgreSQL is down', 60_000);
    const controllers = set.controllers();
    await until(async () => (await Promise.all(controllers.map((c) => leaderOf(c)))).every((leading) => !leading), 'the leader to stop without its database', 60_000);
    database = await startEmbeddedPostgres(join(dir, 'pg'), { port });
    const restarted = accepted.length;
    // Changes are accepted again through both replicas.
    await until(() => Promise.resolve(accepted.length >= restarted + 6), 'changes accepted after the restart', 60_000);
    load.stop = true;
    await writer;

    // One leader again, and every accepted change committed.
    await set.leader(30_000);
    expect((await Promise.all(set.controllers().map((c) => leaderOf(c)))).filter(Boolean)).toHaveLength(1);
    const url = `${origin}/state.git`.replace('http://', `http://reader:${set.token}@`);
    const git = async (...args: string[]) => (await exec('git', ['--git-dir', join(dir, 'clone.git'), ...args])).stdout.trim();
    const rows = await fetch(`${origin}/api/projects`, { headers: { Cookie: cookie } }).then((r) => r.json() as Promise<{ name: string; namespace: string }[]>);
    const namespaces = new Map(rows.map((p) => [p.name, p.namespace]));
    for (const name of accepted) expect(namespaces.has(name)).toBe(true);
    // Every project in the database is in the repo, and nothing else: the accepted ones,
    // and any whose transaction (rows and intent) committed but whose answer failed
    // when the database went.
    const tenants = await until(async () => {
      await rm(join(dir, 'clone.git'), { recursive: true, force: true });
      await exec('git', ['clone', '--quiet', '--bare', url, join(dir, 'clone.git')]);
      const listed = (await git('ls-tree', '-d', '--name-only', 'HEAD:tenants')).split('\n').sort();
      return JSON.stringify(listed) === JSON.stringify([...namespaces.values()].sort()) ? listed : false;
    }, 'the state repo to hold every project of the database', 60_000).catch(async (error: unknown) => {
      const outputs = set?.replicas.map((r) => `${r.name}:\n${r.process.output().slice(-3000)}`).join('\n----\n');
      throw new Error(`${String(error)}\naccepted ${accepted.join(',')}\nlog:\n${await git('log', '--format=%s', 'HEAD').catch(String)}\n${outputs ?? ''}`);
    });
    expect(tenants).toHaveLength(namespaces.size);
    // Each project's creation is one commit (its own tenant: no other change shares it), and its
    // intent row names that commit: none lost, none committed twice.
    const subjects = (await git('log', '--format=%H|%s', 'HEAD')).split('\n');
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const recorded = await db
      .query<{ namespace: string; commit: string | null }>(`SELECT namespace, commit FROM state_intents WHERE change->>'summary' LIKE 'create project %'`)
      .finally(() => db.end());
    const intents = new Map(recorded.rows.map((row) => [row.namespace, row.commit]));
    expect(intents.size).toBe(recorded.rows.length);
    for (const [name, namespace] of namespaces) {
      const commits = subjects.filter((s) => s.endsWith(`|create(${namespace}): create project ${name}`)).map((s) => s.split('|')[0]);
      expect({ name, commits }).toEqual({ name, commits: [intents.get(namespace)] });
    }
    expect(await git('rev-list', '--merges', 'HEAD')).toBe('');
  });
});
