/**
 * Previews of pull requests on a real node (issue 35): `pull_request opened` (the App's
 * webhook, fake GitHub) → the preview's first HTTP 200 with the pull request's code through
 * Traefik at its own host (the product's Kaniko Job, the registry, the kubelet, Traefik),
 * and `closed` → its host answering 404 (the prune commit applied, Traefik's route gone).
 * `--pulls` pull requests, one after another, each a new commit (Kaniko's cache serves the
 * RUN step after the first). Needs root (the real node).
 * `node --import tsx e2e/bench/previews.ts [--pulls 3]`.
 */
import { parseArgs } from 'node:util';
import request from 'supertest';
import type { PreviewDto } from '@dangus/common';
import { ORIGIN } from '@dangus/api/test-support/platform';
import { connect, post } from '@dangus/api/test-support/github-app-flow';
import { setupPostgres } from '@dangus/api/test-support/postgres-setup';
import { teardownPostgres } from '@dangus/api/test-support/postgres-teardown';
import { commitApp, createProject, eventually, startRealWorld, viaIngress, type RealWorld } from '../realnode/support.js';
import { percentile } from './percentile.js';

const { values: args } = parseArgs({ options: { pulls: { type: 'string', default: '3' } } });
const PULLS = Number(args.pulls);

async function main(): Promise<void> {
  await setupPostgres();
  let world: RealWorld | undefined;
  try {
    world = await startRealWorld((line) => process.stderr.write(`${line}\n`));
    const w = world;
    await w.platform.db.query(`UPDATE users SET role = 'admin' WHERE github_username = $1`, [w.login]);
    const app = await connect(w.platform, w.cookie);
    const fake = w.github.app;
    const full = `${w.login}/${w.repo.name}`;
    const repo = fake.addRepository(full);
    await post(w.platform, fake.install(app, { login: w.login, id: 7_700_003, type: 'User' }, [repo]).delivery).expect(200);
    // Signed in again through the App: the user's own App token shows GitHub they read the repository (the service is bound).
    await w.platform.signIn(w.login, 7_700_001);
    fake.pulls.setPermission(full, 'alice', 'write');
    const project = await createProject(w, 'bench');
    const created = await request(w.platform.app)
      .post(`/api/projects/${project.id}/services`)
      .set({ Origin: ORIGIN, Cookie: w.cookie })
      .send({ name: 'web', repoUrl: `https://github.com/${full}`, branch: 'main', dockerfilePath: 'Dockerfile', port: 8080 })
      .expect(201);
    const serviceId = (created.body as { id: string }).id;
    await request(w.platform.app).patch(`/api/services/${serviceId}`).set({ Origin: ORIGIN, Cookie: w.cookie }).send({ previews: { enabled: true, max: 10 } }).expect(200);
    const previews = async () => (await request(w.platform.app).get(`/api/services/${serviceId}/previews`).set({ Cookie: w.cookie }).expect(200)).body as PreviewDto[];
    const get = (host: string) => viaIngress(w, host, '/cgi-bin/app').catch(() => ({ status: 0, body: '' }));

    const opened: number[] = [];
    const gone: number[] = [];
    for (let i = 0; i < PULLS; i += 1) {
      const version = `bench-pr-${String(i)}`;
      const head = await commitApp(w, { version });
      const pull = fake.pulls.open({ id: repo.id, fullName: full }, { author: 'alice', headSha: head });
      const start = performance.now();
      await post(w.platform, fake.deliver(app, 'pull_request', fake.pulls.payload(pull, 'opened'))).expect(200);
      const preview = (await previews()).find((p) => p.number === pull.number);
      if (!preview) throw new Error('no preview');
      const host = new URL(preview.url).hostname;
      await eventually(`${version} answering`, async () => ((await get(host)).body.includes(`version=${version}`) ? true : undefined), 600_000);
      opened.push(performance.now() - start);
      pull.state = 'closed';
      const closing = performance.now();
      await post(w.platform, fake.deliver(app, 'pull_request', fake.pulls.payload(pull, 'closed'))).expect(200);
      await eventually(`${version} gone`, async () => ((await get(host)).status === 404 ? true : undefined), 300_000);
      gone.push(performance.now() - closing);
      process.stderr.write(`pull request ${String(i + 1)}: opened → answering ${opened.at(-1)?.toFixed(0) ?? ''} ms, closed → gone ${gone.at(-1)?.toFixed(0) ?? ''} ms\n`);
    }
    process.stdout.write(`\nPreviews on a real node, ${String(PULLS)} pull requests one after another (ms):\n\n| stage | p50 | min | max | first |\n| --- | ---: | ---: | ---: | ---: |\n`);
    for (const [label, values] of [['pull_request opened → preview answering (Traefik)', opened], ['closed → host gone (404)', gone]] as const) {
      const sorted = [...values].sort((a, b) => a - b);
      process.stdout.write(`| ${label} | ${percentile(sorted, 50).toFixed(0)} | ${(sorted[0] ?? NaN).toFixed(0)} | ${(sorted.at(-1) ?? NaN).toFixed(0)} | ${(values[0] ?? NaN).toFixed(0)} |\n`);
    }
  } finally {
    await world?.close();
    await teardownPostgres();
  }
}

// The real node needs root (mounts, cgroups, network namespaces): elsewhere, say so and pass.
if (process.getuid?.() === 0) await main();
else process.stdout.write('\nskipped: the previews benchmark needs root (see e2e/cluster/README.md, "The real-node tier")\n');
