/**
 * The infrastructure history (StateHistory) on a real state repo written by the writer,
 * in the shape of a busy member: 90 commits of one tenant inside the same second, turn
 * about on the service's directory and on its tenant's shared files (one `git log` each),
 * with another tenant's commits in between. The pages must be in the history's order, and
 * a page must start a bounded number of git processes, not one per pair of commits. And
 * the order must be the history's where the clock went back.
 */
import { renderTenant } from '../src/render/render.js';
import type { ServiceInput } from '../src/render/types.js';
import type { CommitMeta } from '../src/state-repo/commit-message.js';
import { StateHistory } from '../src/state-repo/history.js';
import { StateRepo } from '../src/state-repo/state-repo.js';
import { SETTINGS, loadTemplates, service, tenant } from './support/fixtures.js';
import { git, tempDir } from './support/git.js';

const NAMESPACE = 'aaaaa1-shop';
const ONE_SECOND = (): Date => new Date('2026-01-02T03:04:05Z');
const meta = (summary: string, serviceName?: string): CommitMeta => ({
  verb: 'update',
  summary,
  actor: { name: 'Alice Liddell', email: 'alice@example.com', login: 'alice' },
  ...(serviceName === undefined ? {} : { service: serviceName }),
});

let dir: { path: string; remove: () => Promise<void> };

beforeEach(async () => {
  dir = await tempDir('dangus-history-');
});
afterEach(async () => {
  await dir.remove();
});

describe('StateHistory.page', () => {
  it('when a tenant made 90 commits in one second, then its pages are in the history order and each starts a bounded number of git processes', async () => {
    const templates = await loadTemplates();
    const repo = await StateRepo.open({ dir: dir.path, now: ONE_SECOND });
    const commit = (list: ServiceInput[], summary: string, serviceName?: string) =>
      repo.commitTenant(NAMESPACE, renderTenant(tenant(1, 'aaaaa1', 'shop', list), SETTINGS, templates), meta(summary, serviceName));
    const neighbour = (port: number) =>
      repo.commitTenant('bbbbb2-neighbour', renderTenant(tenant(2, 'bbbbb2', 'neighbour', [service(2, 'web', { port })]), SETTINGS, templates), meta('port'));

    let web = service(1, 'web');
    let withApi = false;
    const services = () => (withApi ? [web, service(3, 'api')] : [web]);
    await commit(services(), 'create project shop');
    for (let i = 0; i < 90; i += 1) {
      if (i % 2 === 0) {
        // The service's own files.
        web = { ...web, port: 3000 + i };
        await commit(services(), `port ${String(web.port)}`, 'web');
      } else {
        // For web, only its tenant's shared files: the tenant's kustomization.yaml lists its services.
        withApi = !withApi;
        await commit(services(), withApi ? 'create service api' : 'delete service api');
      }
      if (i % 10 === 0) await neighbour(4000 + i);
    }

    // What git itself lists for the service's directory and its tenant's files, in one walk.
    const tenantFiles = git(dir.path, 'ls-tree', 'HEAD', `tenants/${NAMESPACE}/`)
      .split('\n')
      .filter((entry) => entry.includes(' blob '))
      .map((entry) => entry.split('\t')[1] ?? '');
    const expected = git(dir.path, 'log', '--format=%H', 'HEAD', '--', `tenants/${NAMESPACE}/web`, ...tenantFiles).trim().split('\n');

    const history = new StateHistory(dir.path);
    await history.refreshIndex();
    const seen: string[] = [];
    const spawned: number[] = [];
    let after: string | null = null;
    do {
      const before = history.gitProcesses;
      const page = await history.page({ namespace: NAMESPACE, service: 'web' }, after, 50);
      spawned.push(history.gitProcesses - before);
      // The shape is the adversarial one: every commit of the page in the same second.
      expect(new Set(page.commits.map((c) => c.committer.date)).size).toBe(1);
      seen.push(...page.commits.map((c) => c.sha));
      after = page.after;
    } while (after !== null);

    expect(expected.length).toBeGreaterThan(90);
    expect(seen).toEqual(expected);
    // One log per path, and a handful more (HEAD or the cursor's parent, ls-tree, the walk).
    for (const count of spawned) expect(count).toBeLessThanOrEqual(1 + tenantFiles.length + 4);
  }, 60_000);

  it('when the clock went back between commits, then the page is in the history order, not the clock order', async () => {
    const templates = await loadTemplates();
    let clock = Date.parse('2026-01-02T03:04:05Z');
    // Each commit a minute before the one it follows (a controller on a node whose clock is behind).
    const repo = await StateRepo.open({ dir: dir.path, now: () => new Date((clock -= 60_000)) });
    const commit = (list: ServiceInput[], summary: string, serviceName?: string) =>
      repo.commitTenant(NAMESPACE, renderTenant(tenant(1, 'aaaaa1', 'shop', list), SETTINGS, templates), meta(summary, serviceName));
    const web = service(1, 'web');
    await commit([web], 'create project shop');
    await commit([{ ...web, port: 3001 }], 'port 3001', 'web');
    await commit([{ ...web, port: 3001 }, service(3, 'api')], 'create service api');
    await commit([{ ...web, port: 3002 }, service(3, 'api')], 'port 3002', 'web');

    const expected = git(dir.path, 'rev-list', 'HEAD').trim().split('\n');
    const page = await new StateHistory(dir.path).page({ namespace: NAMESPACE, service: 'web' }, null, 50);
    expect(page.commits.map((c) => c.sha)).toEqual(expected);
  });
});
