/**
 * Issue 37's benchmark: the time a skip decision takes, with and without GitHub's compare
 * API. A service watches `apps/web/**`; pushes that change only `apps/api/` are delivered to
 * its webhook one after another and answered `200 skipped`. Three rows:
 *
 * - the decision alone (push-fan-out.ts, in process): the payload lists the changed files;
 * - the whole webhook answer when the payload lists the files (no call to GitHub);
 * - the whole webhook answer when it cannot (a force push): the compare API is asked,
 *   twice when the push dropped commits. GitHub here is the fake, on loopback, answering with
 *   git from a real repository: add GitHub's own latency (typically 100–300 ms a call) to
 *   read this row for github.com.
 *
 * `node --import tsx api/bench/watch-paths.ts [--deliveries 50]` (after `npm run build`).
 */
import { execFile } from 'node:child_process';
import { cpus, tmpdir } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import request from 'supertest';
import { fanOutPush } from '../src/use-cases/push-fan-out.js';
import { ORIGIN, startTestPlatform } from '../test/support/platform.js';
import { setupPostgres } from '../test/support/postgres-setup.js';
import { teardownPostgres } from '../test/support/postgres-teardown.js';
import { deliveryHeaders, pushPayload } from '../test/support/webhook-payloads.js';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: { deliveries: { type: 'string', default: '50' } } });
const DELIVERIES = Number(args.deliveries);

const p = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
const row = (name: string, times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return `| ${name} | ${p(sorted, 0.5).toFixed(2)} | ${p(sorted, 0.95).toFixed(2)} | ${(sorted.at(-1) ?? Number.NaN).toFixed(2)} |\n`;
};

async function main(): Promise<void> {
  await setupPostgres();
  const platform = await startTestPlatform();
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bench-mono-'));
  try {
    const git = (...rest: string[]) => run('git', ['-C', dir, '-c', 'user.name=Bench', '-c', 'user.email=bench@example.test', ...rest]);
    await run('git', ['init', '--quiet', '--initial-branch=main', dir]);
    // A monorepo of some size: 3 apps of 300 files each.
    for (const app of ['web', 'api', 'worker']) {
      for (let i = 0; i < 300; i++) {
        const path = join(dir, 'apps', app, 'src', `m${String(i % 10)}`, `f${String(i)}.ts`);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, `export const v = ${String(i)};\n`);
      }
    }
    await git('add', '-A');
    await git('commit', '--quiet', '-m', 'base');
    const commit = async (n: number) => {
      await writeFile(join(dir, 'apps', 'api', 'src', 'm0', 'f0.ts'), `export const changed = ${String(n)};\n`);
      await git('commit', '--quiet', '-am', `api ${String(n)}`);
      return (await git('rev-parse', 'HEAD')).stdout.trim();
    };
    platform.github.gitRepos.set('octocat/mono', join(dir, '.git'));

    const cookie = await platform.signIn('octocat', 4242);
    const as = <T extends request.Test>(req: T) => req.set({ Cookie: cookie, Origin: ORIGIN });
    const project = (await as(request(platform.app).post('/api/projects')).send({ name: 'bench' }).expect(201)).body as { id: string };
    const service = (
      await as(request(platform.app).post(`/api/projects/${project.id}/services`))
        .send({ name: 'web', repoUrl: 'https://github.com/octocat/mono', port: 8080, contextDir: 'apps/web', watchPaths: ['apps/web/**', '!**/*.md', 'package-lock.json'] })
        .expect(201)
    ).body as { id: string; webhookSecret: string };

    const payloadOf = (before: string, after: string, forced: boolean) => {
      const payload = pushPayload({ repo: 'octocat/mono', ref: 'refs/heads/main', after });
      const template = (payload.commits as Record<string, unknown>[])[0] ?? {};
      Object.assign(payload, {
        before,
        forced,
        created: false,
        commits: [{ ...template, added: [], removed: [], modified: ['apps/api/src/m0/f0.ts'] }],
      });
      (payload.repository as Record<string, unknown>).default_branch = 'main';
      return payload;
    };
    const deliver = async (payload: Record<string, unknown>) => {
      const body = JSON.stringify(payload);
      const start = performance.now();
      const res = await request(platform.app).post(`/webhooks/github/${service.id}`).set(deliveryHeaders(service.webhookSecret, body, 'push')).send(body);
      const took = performance.now() - start;
      if (res.status !== 200 || (res.body as { outcome: string }).outcome !== 'skipped') throw new Error(`answered ${String(res.status)} ${res.text}`);
      return took;
    };

    // The decision alone: three services, the payload listing 200 changed files.
    const targets = ['web', 'api', 'worker'].map((app) => ({
      id: app,
      repoUrl: 'https://github.com/octocat/mono',
      branch: 'main',
      watchPaths: [`apps/${app}/**`, '!**/*.md', 'package-lock.json', 'pnpm-lock.yaml'],
    }));
    const wide = payloadOf('1'.repeat(40), '2'.repeat(40), false);
    (wide.commits as Record<string, unknown>[])[0] = {
      ...((wide.commits as Record<string, unknown>[])[0] ?? {}),
      modified: Array.from({ length: 200 }, (_, i) => `apps/api/src/m${String(i % 10)}/f${String(i)}.ts`),
    };
    const decisions: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const start = performance.now();
      await fanOutPush(targets, wide, null);
      decisions.push(performance.now() - start);
    }

    const fromPayload: number[] = [];
    const fromCompare: number[] = [];
    for (let i = 0; i < DELIVERIES + 1; i++) {
      const before = (await git('rev-parse', 'HEAD')).stdout.trim();
      const after = await commit(i);
      const took = await deliver(payloadOf(before, after, false));
      if (i > 0) fromPayload.push(took);
    }
    const asked = platform.github.repos.compareRequests.length;
    for (let i = 0; i < DELIVERIES + 1; i++) {
      const before = (await git('rev-parse', 'HEAD')).stdout.trim();
      const after = await commit(1_000 + i);
      const took = await deliver(payloadOf(before, after, true));
      if (i > 0) fromCompare.push(took);
    }
    if (platform.github.repos.compareRequests.length - asked !== DELIVERIES + 1) throw new Error('the force pushes did not all ask the compare API');

    process.stdout.write(`\nSkip decision (a push none of whose files the service watches; ${String(DELIVERIES)} deliveries, ${String(cpus().length)} cores)\n\n`);
    process.stdout.write('| measure | p50 (ms) | p95 (ms) | max (ms) |\n| --- | ---: | ---: | ---: |\n');
    process.stdout.write(row('decision alone: 3 services, 200 files listed in the payload', decisions));
    process.stdout.write(row('webhook answer, files from the payload (no call to GitHub)', fromPayload));
    process.stdout.write(row('webhook answer, force push: compare API (fake GitHub on loopback)', fromCompare));
  } finally {
    await platform.close();
    await rm(dir, { recursive: true, force: true });
    await teardownPostgres();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
