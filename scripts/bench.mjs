// `npm run bench`: builds, then runs every workspace's benchmark in turn and
// prints their tables. Each benchmark is a TypeScript file run with tsx.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const benches = [
  ['api', 'api/bench/projects-list.ts'],
  ['api (GitHub webhook)', 'api/bench/webhooks.ts'],
  ['api (monorepos: a skip decision with and without the compare API)', 'api/bench/watch-paths.ts'],
  ['api (repository bindings re-checked: the due query, a build\'s check, a re-check)', 'api/bench/binding-recheck.ts'],
  ['gitops-writer', 'gitops-writer/bench/commit-latency.ts'],
  ['gitops-writer (infrastructure history page)', 'gitops-writer/bench/history.ts'],
  ['applier (starts its own control plane)', 'applier/bench/applier.ts'],
  ['e2e (push to live, platform overhead; starts its own control plane)', 'e2e/bench/pipeline.ts'],
  ['e2e (push to live as installed: api with APPLIER=external, separate applier notified)', 'e2e/bench/pipeline.ts', '--applier', 'installed'],
  ['e2e (API change → cluster: built-in applier, Flux poked, Flux on its interval; starts its own control plane and Flux)', 'e2e/bench/gitops-engines.ts'],
  ['e2e (rollback to live, no build; starts its own control plane)', 'e2e/bench/rollback.ts'],
  ['e2e (GitHub App: push event → Check Run in_progress at the fake; starts its own control plane)', 'e2e/bench/github-app.ts'],
  ['e2e (replicas: rolling restart of the api under webhooks, controller failover, change → commit through the outbox; starts its own processes and PostgreSQL)', 'e2e/bench/replicas.ts'],
  ['e2e (idle RSS of each role: all, api, controller; `node api/dist/main.js`, PostgreSQL outside the process, no cluster)', 'e2e/bench/footprint.ts'],
  ['e2e (real push to first 200 on a real node; needs root)', 'e2e/bench/real-node.ts'],
  ['e2e (previews: pull_request opened → preview answering, closed → host gone, on a real node; needs root)', 'e2e/bench/previews.ts'],
  ['e2e (runtime logs on a real node: line → SSE latency, api memory with 20 streams; needs root)', 'e2e/bench/runtime-logs.ts'],
  ['e2e (one metrics sample of 1,000 pods through the aggregation layer; needs root)', 'e2e/bench/metrics.ts'],
  ['ui (bundle, dashboard in Chromium)', 'e2e/bench/ui.ts'],
];

execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
for (const [workspace, file, ...args] of benches) {
  if (!existsSync(file)) continue;
  process.stdout.write(`\n## ${workspace}: ${[file, ...args].join(' ')}\n`);
  execFileSync(process.execPath, ['--import', 'tsx', file, ...args], { stdio: 'inherit' });
}
