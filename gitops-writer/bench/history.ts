/**
 * One page (50 commits) of a service's infrastructure history (StateHistory.page), on a
 * state repo of 10,000 commits across 1,000 tenants and on one of 100 commits, each with
 * the commit-graph index the platform keeps (changed-path Bloom filters), and the 10,000
 * without it (what a page costs before the first index write). Repositories are made with
 * `git fast-import`: each commit changes one service's deployment.yaml, tenants in turn,
 * so a tenant's 10 commits lie 1,000 commits apart and its page walks the whole history.
 *
 * `node --import tsx gitops-writer/bench/history.ts [--runs 30]`
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { promisify } from 'node:util';
import { StateHistory } from '../src/state-repo/history.js';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const RUNS = Number(args.runs);

const ns = (tenant: number) => `t${String(tenant).padStart(4, '0')}-shop`;

/** A bare repo of `commits` commits over `tenants` tenants (one service `web` each). */
async function makeRepo(dir: string, commits: number, tenants: number): Promise<void> {
  await run('git', ['init', '--quiet', '--bare', '-b', 'main', dir]);
  const importer = spawn('git', ['--git-dir', dir, 'fast-import', '--quiet'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const lines: string[] = [];
  for (let i = 0; i < commits; i += 1) {
    const tenant = i % tenants;
    const message = `deploy(${ns(tenant)}/web): roll out ${i.toString(16).padStart(7, '0')}\n\nDangus-Actor: octo${String(tenant)}\n`;
    const file = `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ${ns(tenant)}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: harbor.local/x/web:${String(i)}\n`;
    lines.push(
      'commit refs/heads/main',
      `author octo <octo@example.test> ${String(1_700_000_000 + i)} +0000`,
      `committer Dangus Cloud <platform@dangus.invalid> ${String(1_700_000_000 + i)} +0000`,
      `data ${String(Buffer.byteLength(message))}`,
      message,
      `M 100644 inline tenants/${ns(tenant)}/web/deployment.yaml`,
      `data ${String(Buffer.byteLength(file))}`,
      file,
    );
    if (i < tenants) {
      const namespace = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns(tenant)}\n`;
      lines.push(`M 100644 inline tenants/${ns(tenant)}/namespace.yaml`, `data ${String(Buffer.byteLength(namespace))}`, namespace);
    }
    lines.push('');
  }
  importer.stdin.end(lines.join('\n'));
  await new Promise<void>((resolve, reject) => importer.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import ${String(code)}`)))));
}

async function measure(history: StateHistory, tenant: number): Promise<number[]> {
  const times: number[] = [];
  await history.page({ namespace: ns(tenant), service: 'web' }, null); // warm the page cache
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    const page = await history.page({ namespace: ns(tenant), service: 'web' }, null);
    times.push(performance.now() - start);
    if (page.commits.length === 0) throw new Error('an empty page');
  }
  return times.sort((a, b) => a - b);
}

const p = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'dangus-history-bench-'));
  try {
    const big = join(root, 'big.git');
    const small = join(root, 'small.git');
    const t0 = performance.now();
    await makeRepo(big, 10_000, 1_000);
    await makeRepo(small, 100, 10);
    process.stderr.write(`repositories made in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const bigHistory = new StateHistory(big);
    const smallHistory = new StateHistory(small);
    const unindexed = await measure(bigHistory, 500);
    const i0 = performance.now();
    await bigHistory.refreshIndex();
    const indexMs = performance.now() - i0;
    await smallHistory.refreshIndex();
    const indexed = await measure(bigHistory, 500);
    const smallTimes = await measure(smallHistory, 5);
    process.stdout.write(`\nHistory page (50 commits a page, ${String(RUNS)} runs, ${String(cpus().length)} cores)\n\n`);
    process.stdout.write('| repository | commits of the tenant | p50 (ms) | p95 (ms) |\n| --- | ---: | ---: | ---: |\n');
    process.stdout.write(`| 10,000 commits, 1,000 tenants, indexed | 10 (+1) | ${p(indexed, 0.5).toFixed(1)} | ${p(indexed, 0.95).toFixed(1)} |\n`);
    process.stdout.write(`| 10,000 commits, 1,000 tenants, not indexed yet | 10 (+1) | ${p(unindexed, 0.5).toFixed(1)} | ${p(unindexed, 0.95).toFixed(1)} |\n`);
    process.stdout.write(`| 100 commits, 10 tenants, indexed | 10 (+1) | ${p(smallTimes, 0.5).toFixed(1)} | ${p(smallTimes, 0.95).toFixed(1)} |\n`);
    process.stdout.write(`\nratio 10,000 / 100 (indexed p50): ${(p(indexed, 0.5) / p(smallTimes, 0.5)).toFixed(2)} (target ≤ 2); first index write of 10,000 commits: ${indexMs.toFixed(0)} ms\n`);
  } finally {
    if (process.env.KEEP_BENCH_REPO) process.stderr.write(`kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
