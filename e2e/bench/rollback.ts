/**
 * Rollback request → row `live`, no build: on its own control plane (simulated pods, which
 * become ready at once, so this is the platform's overhead: the transaction, the commit,
 * the applier, the Deployment's rollout as the controller reports it, the pipeline seeing
 * it), with the pipeline's production resync (30 s) so no stage hides behind a timer.
 * Two releases go live first; then `--rollbacks` rollbacks alternate between them.
 *
 * `node --import tsx e2e/bench/rollback.ts [--rollbacks 10]` (after `npm run build`).
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import request from 'supertest';
import type { DeploymentDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { setupPostgres } from '@dangus/api/test-support/postgres-setup';
import { teardownPostgres } from '@dangus/api/test-support/postgres-teardown';
import { startCluster } from '../cluster/src/index.js';
import { createProject, createService, push, sha, startWorld, waitForStatus } from '../pipeline/support.js';

const { values: args } = parseArgs({ options: { rollbacks: { type: 'string', default: '10' } } });
const ROLLBACKS = Number(args.rollbacks);

async function main(): Promise<void> {
  const cluster = await startCluster({ log: (line) => process.stderr.write(`${line}\n`) });
  await setupPostgres();
  const world = await startWorld({}, { kubeconfigPath: cluster.kubeconfigPath, resyncMs: undefined });
  try {
    const project = await createProject(world, 'bench');
    const service = await createService(world, project.id, 'web');
    const releases: DeploymentDto[] = [];
    for (const version of ['one', 'two']) {
      const commit = sha();
      world.pods.set(commit, { log: `built ${version}\n`, runDuration: '1s' });
      releases.push(await waitForStatus(world, String((await push(world, service, commit)).body.deploymentId), 'live'));
    }
    const [user] = await world.platform.db.query<{ id: string }[]>('SELECT id FROM users WHERE github_username = $1', [world.login]);
    const live = new Map<string, number>();
    world.platform.events.onDeployment(user?.id ?? '', ({ deployment }) => {
      if (deployment.status === 'live' && !live.has(deployment.id)) live.set(deployment.id, performance.now());
    });
    const times: number[] = [];
    const answers: number[] = [];
    for (let i = 0; i < ROLLBACKS + 1; i += 1) {
      const target = releases[i % 2] as DeploymentDto;
      const start = performance.now();
      const res = await request(world.platform.app).post(`/api/deployments/${target.id}/rollback`).set({ Origin: ORIGIN, Cookie: world.cookie });
      const answered = performance.now();
      if (res.status !== 202) throw new Error(`rollback answered ${String(res.status)}: ${res.text}`);
      const { id } = res.body as DeploymentDto;
      await waitForStatus(world, id, 'live', 60_000);
      for (const deadline = Date.now() + 5_000; !live.has(id) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
      if (i === 0) continue; // warm-up
      times.push((live.get(id) ?? Number.NaN) - start);
      answers.push(answered - start);
    }
    times.sort((a, b) => a - b);
    answers.sort((a, b) => a - b);
    const p = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
    process.stdout.write(`\nRollback → live, no build (${String(times.length)} rollbacks, ${String(cpus().length)} cores, simulated pods)\n\n`);
    process.stdout.write('| measure | p50 (ms) | p95 (ms) | max (ms) |\n| --- | ---: | ---: | ---: |\n');
    process.stdout.write(`| POST /rollback answered | ${p(answers, 0.5).toFixed(0)} | ${p(answers, 0.95).toFixed(0)} | ${(answers.at(-1) ?? NaN).toFixed(0)} |\n`);
    process.stdout.write(`| request → row live (target p50 ≤ 1500) | ${p(times, 0.5).toFixed(0)} | ${p(times, 0.95).toFixed(0)} | ${(times.at(-1) ?? NaN).toFixed(0)} |\n`);
  } finally {
    await world.close();
    await teardownPostgres();
    await cluster.stop();
  }
}

await main();
