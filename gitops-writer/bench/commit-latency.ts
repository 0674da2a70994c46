/**
 * Commit latency of the state repo writer (issue 4 "Benchmark"):
 *
 * - a one-service change committed with 100 and with 10,000 manifests in the
 *   repo, p50/p99 over the commits, and the same change committed by the git CLI
 *   (hash-object, mktree, commit-tree, update-ref) in the same run;
 * - a full reconcile of 1,000 projects × 3 services (time, peak RSS), then a
 *   no-op reconcile (time, commits).
 *
 * Run: `npm run build` (for @dangus/common), then from gitops-writer/
 * `node --import tsx bench/commit-latency.ts [--commits 60] [--skip-reconcile]`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { render, renderTenant } from '../src/render/render.js';
import type { TenantInput } from '../src/render/types.js';
import type { CommitMeta } from '../src/state-repo/commit-message.js';
import { StateRepo } from '../src/state-repo/state-repo.js';
import { parseTemplates } from '../src/templates/parse-templates.js';
import { readTemplates } from '../src/templates/read-templates.js';
import type { TemplateSet } from '../src/templates/template-files.js';
import { SETTINGS } from '../test/support/fixtures.js';

const { values: args } = parseArgs({
  options: { commits: { type: 'string', default: '60' }, 'skip-reconcile': { type: 'boolean', default: false } },
});
const COMMITS = Number(args.commits);
const WARMUP = 50;
/** Projects of the latency runs have three services, like those of the reconcile run. */
const SERVICES_PER_PROJECT = 3;

const ACTOR = { name: 'Bench', email: 'bench@example.com', login: 'bench' };
const meta = (verb: string, summary: string): CommitMeta => ({ verb, summary, actor: ACTOR });

function uuid(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-0000-4000-8000-${hex}`;
}

/** Project `i` with `services` live services (image, storage, health check). */
function tenant(i: number, services: number, revision = 0): TenantInput {
  const userHash = `u${i.toString(36).padStart(5, '0')}`;
  const namespace = `${userHash}-p`;
  return {
    project: { id: uuid(i), name: 'p' },
    userHash,
    namespace,
    services: Array.from({ length: services }, (_, s) => ({
      id: uuid(1_000_000 + i * 10 + s),
      name: `svc${String(s)}`,
      host: `${namespace}--svc${String(s)}`,
      repoUrl: `https://github.com/acme/svc${String(s)}`,
      branch: 'main',
      contextDir: '.',
      dockerfilePath: 'Dockerfile',
      watchPaths: [],
      port: 8080,
      hsts: false,
      storageGb: 1,
      healthCheckPath: '/healthz',
      envRevision: `hmac-sha256:${String(s === 0 ? revision : 0)}`,
      restartedAt: null,
      replicas: 1,
      resources: null,
      image: `harbor.example.com/dangus/${namespace}/svc${String(s)}:${'a'.repeat(40)}`,
      currentDeploymentId: uuid(2_000_000 + i * 10 + s),
      build: null,
    })),
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

function gitCli(gitdir: string, args: string[], input?: string): string {
  return execFileSync('git', ['--git-dir', gitdir, ...args], {
    encoding: 'utf8',
    input,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'Dangus Cloud',
      GIT_COMMITTER_EMAIL: 'dangus@localhost',
    },
  }).trim();
}

/** The same one-file change through the git CLI: read the trees on the path, rewrite them bottom-up. */
function gitCliCommit(gitdir: string, path: string, text: string, message: string): void {
  const parts = path.split('/');
  const file = parts.pop() ?? path;
  const head = gitCli(gitdir, ['rev-parse', 'HEAD']);
  // Trees along the path, root first.
  const trees = [gitCli(gitdir, ['rev-parse', 'HEAD^{tree}'])];
  for (let depth = 1; depth <= parts.length; depth++) {
    trees.push(gitCli(gitdir, ['rev-parse', `HEAD:${parts.slice(0, depth).join('/')}`]));
  }
  let oid = gitCli(gitdir, ['hash-object', '-w', '--stdin'], text);
  let name = file;
  let mode = '100644';
  let type = 'blob';
  for (let depth = parts.length; depth >= 0; depth--) {
    const listing = gitCli(gitdir, ['ls-tree', trees[depth] ?? '']).split('\n').filter(Boolean);
    const replaced = listing.filter((line) => line.split('\t')[1] !== name);
    replaced.push(`${mode} ${type} ${oid}\t${name}`);
    oid = gitCli(gitdir, ['mktree'], `${replaced.join('\n')}\n`);
    name = parts[depth - 1] ?? '';
    mode = '040000';
    type = 'tree';
  }
  const commit = gitCli(gitdir, ['commit-tree', oid, '-p', head, '-m', message]);
  gitCli(gitdir, ['update-ref', 'refs/heads/main', commit, head]);
}

interface Row {
  manifests: number;
  oursP50: number;
  oursP99: number;
  gitP50: number;
  gitP99: number;
  renderP50: number;
}

async function latency(templates: TemplateSet, tenantsCount: number, servicesPerTenant: number): Promise<Row> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bench-'));
  try {
    const tenants = Array.from({ length: tenantsCount }, (_, i) => tenant(i, servicesPerTenant));
    const files = render({ settings: SETTINGS, tenants }, templates);
    const repo = await StateRepo.open({ dir });
    await repo.commitAll(files, meta('reconcile', 'seed'));
    // Warm the JIT and the writer's tree cache as a long-running api would be.
    for (let c = 0; c < WARMUP; c++) {
      const i = (c * 31) % tenantsCount;
      await repo.commitTenant(tenants[i]?.namespace ?? '', renderTenant(tenant(i, servicesPerTenant, -c - 1), SETTINGS, templates), meta('env', 'warm-up'));
    }
    // Each iteration changes the env revision of one service of one tenant: one file.
    const ours: number[] = [];
    const renders: number[] = [];
    for (let c = 0; c < COMMITS; c++) {
      const i = (c * 7919) % tenantsCount;
      const r0 = performance.now();
      const next = renderTenant(tenant(i, servicesPerTenant, c + 1), SETTINGS, templates);
      const t0 = performance.now();
      const result = await repo.commitTenant(tenants[i]?.namespace ?? '', next, meta('env', `c${String(c)}`));
      ours.push(performance.now() - t0);
      renders.push(t0 - r0);
      if (result.commit === null) throw new Error('expected a commit');
    }
    const cli: number[] = [];
    for (let c = 0; c < COMMITS; c++) {
      const i = (c * 7919 + 1) % tenantsCount;
      const next = renderTenant(tenant(i, servicesPerTenant, COMMITS + c + 1), SETTINGS, templates);
      const path = `tenants/${tenants[i]?.namespace ?? ''}/svc0/deployment.yaml`;
      const t0 = performance.now();
      gitCliCommit(dir, path, next.get(path) ?? '', `env: c${String(c)}`);
      cli.push(performance.now() - t0);
    }
    execFileSync('git', ['--git-dir', dir, 'fsck', '--no-dangling'], { stdio: 'ignore' });
    const sort = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    const [o, g, r] = [sort(ours), sort(cli), sort(renders)];
    return {
      manifests: files.size,
      oursP50: quantile(o, 0.5),
      oursP99: quantile(o, 0.99),
      gitP50: quantile(g, 0.5),
      gitP99: quantile(g, 0.99),
      renderP50: quantile(r, 0.5),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function reconcileBench(templates: TemplateSet): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-bench-reconcile-'));
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const tenants = Array.from({ length: 1000 }, (_, i) => tenant(i, 3));
    const repo = await StateRepo.open({ dir });
    const t0 = performance.now();
    const files = render({ settings: SETTINGS, tenants }, templates);
    const t1 = performance.now();
    const first = await repo.commitAll(files, meta('reconcile', 're-render 1000 projects'));
    const t2 = performance.now();
    const again = render({ settings: SETTINGS, tenants }, templates);
    const second = await repo.commitAll(again, meta('reconcile', 're-render 1000 projects'));
    const t3 = performance.now();
    peak = Math.max(peak, process.memoryUsage().rss);
    const commits = execFileSync('git', ['--git-dir', dir, 'rev-list', '--count', 'HEAD'], { encoding: 'utf8' }).trim();
    console.log('\nreconcile of 1,000 projects × 3 services');
    console.log(`  files                 ${String(files.size)}`);
    console.log(`  first:  render ${((t1 - t0) / 1000).toFixed(2)} s + commit ${((t2 - t1) / 1000).toFixed(2)} s (${first.commit === null ? 'no commit' : 'one commit'})`);
    console.log(`  no-op:  render + compare ${((t3 - t2) / 1000).toFixed(2)} s (${second.commit === null ? 'zero commits' : 'A COMMIT'}; ${commits} commit(s) in the repo)`);
    console.log(`  peak RSS              ${(peak / 1024 / 1024).toFixed(0)} MiB`);
  } finally {
    clearInterval(timer);
    await rm(dir, { recursive: true, force: true });
  }
}

const templates = parseTemplates(await readTemplates());
const fmt = (n: number): string => n.toFixed(2).padStart(8);
console.log(`commit latency of a one-service change (${String(COMMITS)} commits each after ${String(WARMUP)} warm-up, ms; projects of ${String(SERVICES_PER_PROJECT)} services)`);
console.log('manifests | ours p50 | ours p99 |  git p50 |  git p99 | ours/git p50 | render p50');
const rows: Row[] = [];
const filesPerProject = renderTenant(tenant(0, SERVICES_PER_PROJECT), SETTINGS, templates).size;
for (const target of [100, 10_000]) {
  const row = await latency(templates, Math.round((target - 1) / filesPerProject), SERVICES_PER_PROJECT);
  rows.push(row);
  console.log(
    `${String(row.manifests).padStart(9)} | ${fmt(row.oursP50)} | ${fmt(row.oursP99)} | ${fmt(row.gitP50)} | ${fmt(row.gitP99)} | ${(row.oursP50 / row.gitP50).toFixed(2).padStart(12)} | ${fmt(row.renderP50)}`,
  );
}
const [small, large] = rows;
if (small !== undefined && large !== undefined) {
  console.log(`ratio p50 ${String(large.manifests)}/${String(small.manifests)}: ${(large.oursP50 / small.oursP50).toFixed(2)} (target ≤ 1.5); p50 at ${String(large.manifests)}: ${large.oursP50.toFixed(2)} ms (target ≤ 25)`);
}
if (!args['skip-reconcile']) await reconcileBench(templates);
