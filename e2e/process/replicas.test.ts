/**
 * Two api replicas and two controllers (docs/architecture.md#process-roles), each a real
 * `npm start` process, on one PostgreSQL and the test control plane, behind a local
 * load balancer; processes are killed and restarted one at a time while pushes, user
 * changes and streams go on. Assertions are on rows, commits, objects in the cluster
 * and the text streamed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppsV1Api } from '@kubernetes/client-node';
import type { DeploymentDto, ServiceDto } from '@dangus/common';
import { createTestDatabase } from '@dangus/api/test-support/database';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { deliveryHeaders, pushPayload, randomSha } from '@dangus/api/test-support/webhook-payloads';
import { e2eKubeConfig, e2eKubeconfigPath } from '../cluster/src/index.js';
import { startPodBehaviourWebhook, type PodBehaviourWebhook } from '../support/pod-behaviour.js';
import { electionOf, jsonCaller, leaderOf, signInLocal, startReplicaSet, until, type ReplicaSet } from '../support/replica-set.js';
import { followSse, type SseFollower } from '../support/sse-client.js';

const exec = promisify(execFile);

describe('two api replicas and two controllers on one database', () => {
  const admin = e2eKubeConfig();
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let github: FakeGitHub;
  let pods: PodBehaviourWebhook;
  let set: ReplicaSet;
  let cookie: string;
  let dir: string;
  let origin: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dangus-replicas-'));
    database = await createTestDatabase();
    github = new FakeGitHub();
    await github.start();
    pods = await startPodBehaviourWebhook(admin);
    set = await startReplicaSet({
      databaseUrl: database.url,
      env: { KUBECONFIG: e2eKubeconfigPath(), GITHUB_API_URL: github.url, GITHUB_WEB_URL: github.url, COMMIT_WAIT_SECONDS: '10',
        MAX_STREAMS_PER_USER: '200',
        // Each replica's housekeeping applies retention at start: keep every row the test counts.
        DEPLOYMENTS_KEPT: '10000',
        DELIVERIES_KEPT: '10000',
        // Ten services of one project within its quota: the concurrent changes' test.
        SERVICE_SIZES: JSON.stringify({ tiny: { cpu: '100m', memory: '64Mi' }, small: { cpu: '250m', memory: '256Mi' } }),
      },
    });
    origin = set.balancer.origin;
    cookie = await signInLocal(origin);
  }, 180_000);

  afterAll(async () => {
    await set.stop();
    await pods.stop();
    await github.stop();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const call = <T>(method: string, path: string, body?: unknown) => jsonCaller(origin, cookie)<T>(method, path, body);

  /** A fresh clone of `/state.git` through the balancer (any api replica's mirror). */
  const clone = async (name: string): Promise<(...args: string[]) => Promise<string>> => {
    const target = join(dir, name);
    const url = `${origin}/state.git`.replace('http://', `http://reader:${set.token}@`);
    await exec('git', ['clone', '--quiet', '--bare', url, target]);
    return async (...args) => (await exec('git', ['--git-dir', target, ...args])).stdout.trim();
  };

  const push = async (service: ServiceDto, repo: string, commit: string): Promise<string> => {
    const body = JSON.stringify(pushPayload({ repo, ref: 'refs/heads/main', after: commit, message: 'ship it' }));
    const res = await fetch(`${origin}/webhooks/github/${service.id}`, { method: 'POST', headers: deliveryHeaders(service.webhookSecret, body, 'push'), body });
    expect(res.status).toBe(202);
    return ((await res.json()) as { deploymentId: string }).deploymentId;
  };

  const deployment = (id: string) => call<DeploymentDto>('GET', `/api/deployments/${id}`);

  it('one controller leads and the other waits', async () => {
    const [first, second] = set.controllers();
    if (!first || !second) throw new Error('two controllers');
    await set.leader();
    // Both have asked PostgreSQL for the lock: one holds it, the other waits.
    const elections = await until(async () => {
      const both = await Promise.all([electionOf(first), electionOf(second)]);
      return both.every((e) => e !== null && e.attempts >= 1) ? both : false;
    }, 'both controllers to try for the lock', 30_000);
    expect(elections.map((e) => e?.leading).sort()).toEqual([false, true]);
  });

  it('concurrent changes to one tenant through both api replicas: each intent is in exactly one commit, by its author, and all are in the repo', async () => {
    const project = await call<{ id: string; namespace: string }>('POST', '/api/projects', { name: 'concurrent' });
    const [before] = await database.dataSource.query<{ last: string }[]>(`SELECT coalesce(max(id), 0) AS last FROM state_intents`);
    const last = before?.last ?? '0';
    const names = Array.from({ length: 10 }, (_, i) => `svc-${String(i)}`);
    // The balancer alternates replicas: half the requests go to each. Tiny ones: ten fit the project's quota.
    await Promise.all(
      names.map((name) => call('POST', `/api/projects/${project.id}/services`, { name, repoUrl: `https://github.com/acme/${name}`, port: 8080, size: 'tiny' })),
    );
    interface IntentRow {
      id: string;
      commit: string | null;
      error: string | null;
      done: boolean;
      verb: string;
      service: string | null;
      summary: string;
      actor: string;
    }
    const select = () =>
      database.dataSource.query<IntentRow[]>(
        `SELECT id, commit, error, done_at IS NOT NULL AS done, change->>'verb' AS verb, change->>'serviceName' AS service,
                change->>'summary' AS summary, change->'actor'->>'githubUsername' AS actor
           FROM state_intents WHERE id > $1 AND namespace = $2 ORDER BY id`,
        [last, project.namespace],
      );
    // A request answers after COMMIT_WAIT_SECONDS at the latest: wait for the rows themselves.
    const intents = await until(async () => {
      const rows = await select();
      return rows.length >= names.length && rows.every((row) => row.done) ? rows : false;
    }, 'every intent to be committed', 60_000).catch(async (error: unknown) => {
      throw new Error(`${String(error)}: ${JSON.stringify(await select())}`);
    });
    // One intent per change, each done with the commit that holds it.
    expect(intents.map((row) => row.service).sort()).toEqual([...names].sort());
    for (const row of intents) expect({ service: row.service, error: row.error, commit: row.commit }).toEqual({ service: row.service, error: null, commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    const subject = (row: IntentRow) => `${row.verb}(${project.namespace}/${row.service ?? ''}): ${row.summary}`;

    const git = await clone('concurrent.git');
    const head = await git('rev-parse', 'HEAD');
    const files = await git('ls-tree', '-r', '--name-only', 'HEAD');
    for (const name of names) expect(files).toContain(`tenants/${project.namespace}/${name}/service.yaml`);
    // Each commit is the one an intent's render made: its subject and author are one of the
    // intents that record it (the others' changes were already in that render).
    const recorders = new Map<string, IntentRow[]>();
    for (const row of intents) recorders.set(row.commit ?? '', [...(recorders.get(row.commit ?? '') ?? []), row]);
    for (const [sha, rows] of recorders) {
      expect(await git('merge-base', '--is-ancestor', sha, head).then(() => 'in the history', () => 'not in the history')).toBe('in the history');
      const made = await git('log', '-1', '--format=%an|%s|%(trailers:key=Dangus-Actor,valueonly)', sha);
      expect(rows.map((row) => `${row.actor}|${subject(row)}|${row.actor}`)).toContain(made);
    }
    for (const row of intents) {
      // The recorded commit holds the intent's change.
      expect(await git('ls-tree', '--name-only', row.commit ?? '', `tenants/${project.namespace}/${row.service ?? ''}/service.yaml`)).toBe(
        `tenants/${project.namespace}/${row.service ?? ''}/service.yaml`,
      );
    }
    // Git has exactly those commits for these changes: none lost, none twice.
    const created = (await git('log', '--format=%H|%s', 'HEAD'))
      .split('\n')
      .filter((line) => line.includes(`|create(${project.namespace}/`))
      .map((line) => line.split('|')[0] ?? '');
    expect(created.sort()).toEqual([...recorders.keys()].sort());
    expect(await git('rev-list', '--merges', 'HEAD')).toBe('');
  });

  it('kill -9 of the leader mid-build: the standby takes over, finishes the build, stores its log once, and continues the same history', async () => {
    const project = await call<{ id: string; namespace: string }>('POST', '/api/projects', { name: 'failover' });
    const service = await call<ServiceDto>('POST', `/api/projects/${project.id}/services`, { name: 'failover', repoUrl: 'https://github.com/acme/web', port: 8080 });
    const before = await clone('before-failover.git');
    const historyBefore = (await before('rev-list', 'HEAD')).split('\n');

    const lines = Array.from({ length: 60 }, (_, i) => `step ${String(i + 1)} of 60`);
    const commit = randomSha();
    pods.set(commit, { log: `${lines.join('\n')}\n`, logInterval: '100ms', runDuration: '7s' });
    const id = await push(service, 'acme/web', commit);
    await until(async () => (await deployment(id)).status === 'building' && ((await deployment(id)).buildLogs ?? '').includes('step 5 of 60'), 'the build to log', 60_000);

    const leader = await set.leader();
    await set.kill(leader);
    // The standby leads (how soon is e2e/bench/replicas.ts's figure), and it alone.
    const standby = await set.leader(60_000);
    expect(standby.name).not.toBe(leader.name);
    expect(set.controllers().map((c) => c.name)).toEqual([standby.name]);

    const live = await until(async () => {
      const row = await deployment(id);
      if (row.status === 'failed') throw new Error(`failed: ${row.reason ?? ''}`);
      return row.status === 'live' ? row : false;
    }, 'the deployment to go live on the new leader', 120_000);
    // Every line once, in order: the new leader appended only what the old one had not stored.
    expect(live.buildLogs?.trimEnd().split('\n')).toEqual(lines);
    const running = await admin.makeApiClient(AppsV1Api).readNamespacedDeployment({ namespace: project.namespace, name: 'failover' });
    expect(running.spec?.template.spec?.containers[0]?.image).toContain(live.imageTag ?? 'no image');

    // The same history: every earlier commit is an ancestor of the new head; no fork.
    const after = await clone('after-failover.git');
    const historyAfter = (await after('rev-list', 'HEAD')).split('\n');
    for (const sha of historyBefore) expect(historyAfter).toContain(sha);
    expect(await after('rev-list', '--merges', 'HEAD')).toBe('');
    expect(await after('log', '-1', '--format=%s', 'HEAD')).toContain('deploy');

    // The killed controller comes back as a standby: it has asked for the lock and waits.
    const restarted = await set.start('controller');
    const waiting = await until(async () => {
      const election = await electionOf(restarted);
      return election !== null && election.attempts >= 1 ? election : false;
    }, 'the restarted controller to try for the lock', 30_000);
    expect(waiting.leading).toBe(false);
    const leaders = await Promise.all(set.controllers().map(async (c) => ((await leaderOf(c)) ? c.name : null)));
    expect(leaders.filter(Boolean)).toEqual([standby.name]);
  });

  it('an api replica killed while 50 clients stream a build log: they reconnect through the balancer and lose no line', async () => {
    const project = await call<{ id: string; namespace: string }>('POST', '/api/projects', { name: 'streams' });
    const service = await call<ServiceDto>('POST', `/api/projects/${project.id}/services`, { name: 'streams', repoUrl: 'https://github.com/acme/streams', port: 8080 });
    // Long enough (about 15 s) that the streams are still open when a replica dies, on a loaded machine too.
    const lines = Array.from({ length: 200 }, (_, i) => `line ${String(i + 1)} of 200`);
    const commit = randomSha();
    pods.set(commit, { log: `${lines.join('\n')}\n`, logInterval: '75ms', runDuration: '16s' });
    const id = await push(service, 'acme/streams', commit);
    await until(async () => (await deployment(id)).status === 'building', 'the build to start', 60_000);

    const followers: SseFollower[] = Array.from({ length: 50 }, () => followSse(`${origin}/api/deployments/${id}/logs/stream`, { Cookie: cookie }));
    await until(() => Promise.resolve(followers.every((f) => f.text().includes('line 10 of 200'))), 'every client to be streaming', 60_000);
    const [victim] = set.apis();
    if (!victim) throw new Error('no api');
    await set.kill(victim);
    const replacement = await set.start('api');
    expect(replacement.role).toBe('api');

    await until(() => Promise.resolve(followers.every((f) => f.ended())), 'every stream to end', 120_000).catch(async (error: unknown) => {
      const row = await deployment(id);
      const states = followers.map((f) => `${String(f.ended())}/${String(f.reconnects())}/${String(f.text().length)}/${f.events().at(-1)?.event ?? '-'}`);
      throw new Error(`${String(error)}: deployment ${row.status}, log ${String(row.buildLogs?.length)}; clients ${states.join(' ')}\n${set.apis().map((a) => a.process.output().slice(-3000)).join('\n---\n')}`);
    });
    const stored = (await deployment(id)).buildLogs ?? '';
    expect(stored.trimEnd().split('\n')).toEqual(lines);
    for (const follower of followers) {
      expect(follower.text()).toBe(stored);
      follower.close();
    }
    // Some clients were on the killed replica, and resumed elsewhere.
    expect(followers.some((f) => f.reconnects() > 0)).toBe(true);
  });

  it('a rolling restart of both api replicas while pushes arrive: no delivery fails, and each is one deployment row', async () => {
    const project = await call<{ id: string; namespace: string }>('POST', '/api/projects', { name: 'rolling' });
    const service = await call<ServiceDto>('POST', `/api/projects/${project.id}/services`, { name: 'rolling', repoUrl: 'https://github.com/acme/rolling', port: 8080 });
    const failures: string[] = [];
    const deployed: string[] = [];
    let sent = 0;
    let answered = 0;
    const sending = { stop: false };
    const sender = (async () => {
      while (!sending.stop) {
        const body = JSON.stringify(pushPayload({ repo: 'acme/rolling', ref: 'refs/heads/main', after: randomSha(), message: 'ship it' }));
        sent += 1;
        try {
          const res = await fetch(`${origin}/webhooks/github/${service.id}`, { method: 'POST', headers: deliveryHeaders(service.webhookSecret, body, 'push'), body });
          const answer = await res.text();
          if (res.status !== 202) failures.push(`${String(res.status)} ${answer}`);
          else {
            const { deploymentId } = JSON.parse(answer) as { deploymentId?: string };
            if (deploymentId) deployed.push(deploymentId);
          }
        } catch (error) {
          failures.push(String(error));
        }
        answered += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    for (const old of set.apis()) {
      // A surge replica is ready before the old one leaves (maxUnavailable 0).
      await set.start('api');
      await set.stopApi(old);
    }
    // A few more deliveries answered by the new replicas alone.
    const restarted = answered;
    await until(() => Promise.resolve(answered >= restarted + 5), 'deliveries after the restart', 60_000);
    sending.stop = true;
    await sender;
    expect(failures).toEqual([]);
    // Every delivery recorded once; every one that started a deployment has its row.
    const deliveries: { n: string }[] = await database.dataSource.query(`SELECT count(*) AS n FROM webhook_deliveries WHERE service_id = $1`, [service.id]);
    expect(Number(deliveries[0]?.n)).toBe(sent);
    const rows: { id: string }[] = await database.dataSource.query(`SELECT id FROM deployments WHERE service_id = $1`, [service.id]);
    expect(rows.map((row) => row.id).sort()).toEqual([...deployed].sort());
  });
});
