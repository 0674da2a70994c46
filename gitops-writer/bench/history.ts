/**
 * One page (50 commits) of a service's infrastructure history (StateHistory.page), on a
 * state repo of 10,000 commits across 1,000 tenants and on one of 100 commits, each with
 * the commit-graph index the platform keeps (changed-path Bloom filters), and the 10,000
 * without it (what a page costs before the first index write). Repositories are made with
 * `git fast-import`: each commit changes one service's deployment.yaml, tenants in turn,
 * so a tenant's 10 commits lie 1,000 commits apart and its page walks the whole history.
 * And the shape of a busy member: 90 commits of one tenant inside the same second, turn
 * about on the service's directory and on its tenant's namespace.yaml (one `git log` each),
 * on top of the 100 commits; for it the table also gives the git processes a page starts.
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

const BURST = 90;
const BURST_TENANT = 5;

/**
 * A bare repo of `commits` commits over `tenants` tenants (one service `web` each), one a
 * second; then `burst` commits of tenant {@link BURST_TENANT} in one second.
 */
async function makeRepo(dir: string, commits: number, tenants: number, burst = 0): Promise<void> {
  await run('git', ['init', '--quiet', '--bare', '-b', 'main', dir]);
  const importer = spawn('git', ['--git-dir', dir, 'fast-import', '--quiet'], { stdio: ['pipe', 'ignore', 'inherit'] });
  const lines: string[] = [];
  const blob = (path: string, text: string) => lines.push(`M 100644 inline ${path}`, `data ${String(Buffer.byteLength(text))}`, text);
  const namespace = (tenant: number, quota: string) =>
    `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns(tenant)}\n---\napiVersion: v1\nkind: ResourceQuota\nspec:\n  hard:\n    pods: "${quota}"\n`;
  const commit = (tenant: number, time: number, subject: string) => {
    const message = `${subject}\n\nDangus-Actor: octo${String(tenant)}\n`;
    lines.push(
      'commit refs/heads/main',
      `author octo <octo@example.test> ${String(time)} +0000`,
      `committer Dangus Cloud <platform@dangus.invalid> ${String(time)} +0000`,
      `data ${String(Buffer.byteLength(message))}`,
      message,
    );
  };
  for (let i = 0; i < commits; i += 1) {
    const tenant = i % tenants;
    commit(tenant, 1_700_000_000 + i, `deploy(${ns(tenant)}/web): roll out ${i.toString(16).padStart(7, '0')}`);
    blob(`tenants/${ns(tenant)}/web/deployment.yaml`, deployment(tenant, i));
    if (i < tenants) blob(`tenants/${ns(tenant)}/namespace.yaml`, namespace(tenant, '10'));
    lines.push('');
  }
  for (let i = 0; i < burst; i += 1) {
    commit(BURST_TENANT, 1_700_000_000 + commits, i % 2 === 0 ? `deploy(${ns(BURST_TENANT)}/web): roll out ${String(i)}` : `update(${ns(BURST_TENANT)}): quota ${String(i)}`);
    if (i % 2 === 0) blob(`tenants/${ns(BURST_TENANT)}/web/deployment.yaml`, deployment(BURST_TENANT, commits + i));
    else blob(`tenants/${ns(BURST_TENANT)}/namespace.yaml`, namespace(BURST_TENANT, String(i)));
    lines.push('');
  }
  importer.stdin.end(lines.join('\n'));
  await new Promise<void>((resolve, reject) => importer.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`fast-import ${String(code)}`)))));
}

function deployment(tenant: number, image: number): string {
  return `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ${ns(tenant)}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: harbor.local/x/web:${String(image)}\n`;
}

/** Page times, sorted, and the git processes one page starts. */
async function measure(history: StateHistory, tenant: number): Promise<{ times: number[]; processes: number }> {
  const times: number[] = [];
  await history.page({ namespace: ns(tenant), service: 'web' }, null); // warm the page cache
  const processes = history.gitProcesses;
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    const page = await history.page({ namespace: ns(tenant), service: 'web' }, null);
    times.push(performance.now() - start);
    if (page.commits.length === 0) throw new Error('an empty page');
  }
  return { times: times.sort((a, b) => a - b), processes: (history.gitProcesses - processes) / RUNS };
}

const p = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'dangus-history-bench-'));
  try {
    const big = join(root, 'big.git');
    const small = join(root, 'small.git');
    const burst = join(root, 'burst.git');
    const t0 = performance.now();
    await makeRepo(big, 10_000, 1_000);
    await makeRepo(small, 100, 10);
    await makeRepo(burst, 100, 10, BURST);
    process.stderr.write(`repositories made in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const bigHistory = new StateHistory(big);
    const smallHistory = new StateHistory(small);
    const burstHistory = new StateHistory(burst);
    const unindexed = await measure(bigHistory, 500);
    const i0 = performance.now();
    await bigHistory.refreshIndex();
    const indexMs = performance.now() - i0;
    await smallHistory.refreshIndex();
    await burstHistory.refreshIndex();
    const indexed = await measure(bigHistory, 500);
    const smallPage = await measure(smallHistory, 5);
    const burstPage = await measure(burstHistory, BURST_TENANT);
    const row = (name: string, tenantCommits: string, { times, processes }: { times: number[]; processes: number }) =>
      `| ${name} | ${tenantCommits} | ${p(times, 0.5).toFixed(1)} | ${p(times, 0.95).toFixed(1)} | ${processes.toFixed(0)} |\n`;
    process.stdout.write(`\nHistory page (50 commits a page, ${String(RUNS)} runs, ${String(cpus().length)} cores)\n\n`);
    process.stdout.write('| repository | commits of the tenant | p50 (ms) | p95 (ms) | git processes a page |\n| --- | ---: | ---: | ---: | ---: |\n');
    process.stdout.write(row('10,000 commits, 1,000 tenants, indexed', '10 (+1)', indexed));
    process.stdout.write(row('10,000 commits, 1,000 tenants, not indexed yet', '10 (+1)', unindexed));
    process.stdout.write(row('100 commits, 10 tenants, indexed', '10 (+1)', smallPage));
    process.stdout.write(row(`100 commits, 10 tenants, then ${String(BURST)} same-second commits of one, indexed`, `10 (+1) + ${String(BURST)}`, burstPage));
    process.stdout.write(
      `\nratio 10,000 / 100 (indexed p50): ${(p(indexed.times, 0.5) / p(smallPage.times, 0.5)).toFixed(2)} (target ≤ 2); first index write of 10,000 commits: ${indexMs.toFixed(0)} ms\n`,
    );
  } finally {
    if (process.env.KEEP_BENCH_REPO) process.stderr.write(`kept ${root}\n`);
    else await rm(root, { recursive: true, force: true });
  }
}

await main();
