/**
 * Issue 29's benchmark: the time from a push event reaching the GitHub App's webhook
 * (`POST /webhooks/github`, over HTTP) to the Check Run's `in_progress` at the fake GitHub,
 * and to its creation (`queued`). On its own control plane (e2e/cluster) and PostgreSQL,
 * the api in-process as in e2e/pipeline (applier and pipeline against the cluster), the
 * App connected through the manifest flow, simulated build pods. Sequential pushes, each to
 * its own service and repository (none supersedes another), one warm-up not counted. The
 * `in_progress` comes when the pipeline sees the build Job's pod start, so the figure holds
 * the platform's commit and apply of the Job and kwok's scheduling as well as the report.
 *
 * `node --import tsx e2e/bench/github-app.ts [--pushes 10]` after `npm run build`.
 */
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { listen } from '@dangus/api/server';
import { connect } from '@dangus/api/test-support/github-app-flow';
import { setupPostgres } from '@dangus/api/test-support/postgres-setup';
import { teardownPostgres } from '@dangus/api/test-support/postgres-teardown';
import { startCluster } from '../cluster/src/index.js';
import { createProject, createService, sha, startWorld } from '../pipeline/support.js';
import { percentile } from './percentile.js';

const { values: args } = parseArgs({ options: { pushes: { type: 'string', default: '10' } } });
const PUSHES = Number(args.pushes);
const SERVICES_PER_PROJECT = 5;

const cleanups: (() => unknown)[] = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) {
    try {
      await step();
    } catch (error) {
      process.stderr.write(`clean-up failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
}

async function main(): Promise<void> {
  const cluster = await startCluster({ log: (line) => process.stderr.write(`${line}\n`) });
  cleanups.push(() => cluster.stop());
  await setupPostgres();
  cleanups.push(() => teardownPostgres());
  // The production resync (30 s): a report cannot hide behind a short one.
  const world = await startWorld({ BUILD_DEADLINE_SECONDS: '120', ADMIN_GITHUB_USERS: 'root' }, { kubeconfigPath: cluster.kubeconfigPath, resyncMs: undefined });
  cleanups.push(() => world.close());
  const { platform } = world;
  const server = await listen(platform.app, '127.0.0.1', 0);
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const hook = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/webhooks/github`;
  const fake = platform.github.app;
  const app = await connect(platform, await platform.signIn('root', 1));
  // Signed in again through the App: the user's own App token binds each service to its repository.
  await platform.signIn(world.login, world.githubId);

  const queued: number[] = [];
  const inProgress: number[] = [];
  let project: { id: string } | undefined;
  for (let i = 0; i <= PUSHES; i += 1) {
    if (i % SERVICES_PER_PROJECT === 0) project = await createProject(world, `bench${String(i)}`);
    const repo = fake.addRepository(`${world.login}/app${String(i)}`);
    const installed = fake.install(app, { login: world.login, id: 4242, type: 'User' }, [repo]);
    await fetch(hook, { method: 'POST', headers: installed.delivery.headers, body: installed.delivery.body });
    if (!project) throw new Error('no project');
    await createService(world, project.id, `app${String(i)}`);
    const commit = sha();
    world.pods.set(commit, { log: 'INFO Pushed image\n', runDuration: '1s' });
    const delivery = fake.push(app, repo, { ref: 'refs/heads/main', after: commit });
    const sent = performance.now();
    const answer = await fetch(hook, { method: 'POST', headers: delivery.headers, body: delivery.body });
    if (answer.status !== 200) throw new Error(`the App webhook answered ${String(answer.status)}: ${await answer.text()}`);
    const deadline = Date.now() + 120_000;
    let run = fake.reports.checkRunsOf(commit)[0];
    while (!run?.history.includes('in_progress')) {
      if (Date.now() > deadline) throw new Error(`no in_progress Check Run for push ${String(i)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      run = fake.reports.checkRunsOf(commit)[0];
    }
    if (i === 0) continue; // warm-up
    queued.push((run.historyAt[run.history.indexOf('queued')] ?? Number.NaN) - sent);
    inProgress.push((run.historyAt[run.history.indexOf('in_progress')] ?? Number.NaN) - sent);
  }
  await platform.pipeline?.pipeline.idle();

  const row = (name: string, values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `| ${name} | ${String(sorted.length)} | ${percentile(sorted, 50).toFixed(0)} | ${percentile(sorted, 95).toFixed(0)} | ${(sorted.at(-1) ?? Number.NaN).toFixed(0)} |`;
  };
  process.stdout.write(
    [
      '',
      `### GitHub App: push event → Check Run at the fake GitHub, ${String(PUSHES)} sequential pushes (+1 warm-up)`,
      '',
      '| stage | n | p50 ms | p95 ms | max ms |',
      '| --- | ---: | ---: | ---: | ---: |',
      row('push reaches POST /webhooks/github → Check Run created (`queued`)', queued),
      row('push reaches POST /webhooks/github → Check Run `in_progress`', inProgress),
      '',
      '`in_progress` is reported when the pipeline sees the build pod start: it includes the Job\'s commit, its apply and kwok scheduling the pod.',
      '',
    ].join('\n'),
  );
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}
try {
  await main();
} finally {
  await cleanUp();
}
