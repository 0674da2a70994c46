/**
 * The state repo writer on real bare repositories in temp dirs, checked with the
 * git CLI: layout, no-op writes, subtree-only writes, identities and trailers,
 * deletion, reconcile, serialization and two writers on one repo.
 */
import { ConcurrentUpdateError, StateRepoError } from '../src/errors.js';
import { render, renderEach, renderTenant } from '../src/render/render.js';
import type { RenderedFiles, TenantInput } from '../src/render/types.js';
import type { CommitMeta } from '../src/state-repo/commit-message.js';
import { StateRepo, type WriteLock } from '../src/state-repo/state-repo.js';
import type { TemplateSet } from '../src/templates/template-files.js';
import { SETTINGS, SHA_B, fullTenant, input, loadTemplates } from './support/fixtures.js';
import { countLooseObjects, filesAt, git, tempDir } from './support/git.js';

const ALICE = { name: 'Alice Liddell', email: 'alice@example.com', login: 'alice' };
const meta = (overrides: Partial<CommitMeta> = {}): CommitMeta => ({
  verb: 'update',
  summary: 'change things',
  actor: ALICE,
  ...overrides,
});
const FIXED_NOW = (): Date => new Date('2026-01-02T03:04:05Z');

let templates: TemplateSet;
let dir: { path: string; remove: () => Promise<void> };

beforeAll(async () => {
  templates = await loadTemplates();
});
beforeEach(async () => {
  dir = await tempDir('dangus-state-');
});
afterEach(async () => {
  await dir.remove();
});

const tenantFiles = (tenant: TenantInput): RenderedFiles => renderTenant(tenant, SETTINGS, templates);
const open = (extra: Partial<Parameters<typeof StateRepo.open>[0]> = {}): Promise<StateRepo> =>
  StateRepo.open({ dir: dir.path, now: FIXED_NOW, ...extra });

describe('commitTenant', () => {
  it('when a tenant is first written, then the commit holds the documented layout and git fsck is clean', async () => {
    const repo = await open();
    const shop = fullTenant(1, 'ab12cd', 'shop');
    const result = await repo.commitTenant('ab12cd-shop', tenantFiles(shop), meta({ verb: 'create', summary: 'create project shop' }));

    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(git(dir.path, 'rev-parse', 'HEAD').trim()).toBe(result.commit);
    expect(filesAt(dir.path)).toEqual(render(input([shop]), templates));
    git(dir.path, 'fsck', '--strict', '--no-dangling');
  });

  it('when the render did not change, then no commit is made', async () => {
    const repo = await open();
    const files = tenantFiles(fullTenant(1, 'ab12cd', 'shop'));
    const first = await repo.commitTenant('ab12cd-shop', files, meta());
    const second = await repo.commitTenant('ab12cd-shop', files, meta());

    expect(second).toEqual({ commit: null, head: first.commit });
    expect(git(dir.path, 'rev-list', '--count', 'HEAD').trim()).toBe('1');
  });

  it('when one service changes, then only its file, its parent trees and the commit are written', async () => {
    const repo = await open();
    for (const [n, hash] of [[1, 'aaaaa1'], [2, 'bbbbb2'], [3, 'ccccc3']] as const) {
      await repo.commitTenant(`${hash}-shop`, tenantFiles(fullTenant(n, hash, 'shop')), meta());
    }
    const changed = fullTenant(2, 'bbbbb2', 'shop');
    const web = changed.services[0];
    if (web === undefined) throw new Error('fixture');
    web.envRevision = 'hmac-sha256:changed';
    const before = countLooseObjects(dir.path);

    await repo.commitTenant('bbbbb2-shop', tenantFiles(changed), meta({ verb: 'env', service: 'web' }));

    expect(git(dir.path, 'diff-tree', '-r', '--name-only', '--no-commit-id', 'HEAD~1', 'HEAD').trim().split('\n')).toEqual([
      'tenants/bbbbb2-shop/web/deployment.yaml',
    ]);
    // blob + trees web/, bbbbb2-shop/, tenants/, root + the commit
    expect(countLooseObjects(dir.path) - before).toBe(6);
    git(dir.path, 'fsck', '--strict', '--no-dangling');
  });

  it('records the acting user as author, the platform as committer, and the subject and trailers the state repo promises', async () => {
    const repo = await open({ committer: { name: 'Dangus Platform', email: 'platform@dangus.test' } });
    await repo.commitTenant(
      'ab12cd-shop',
      tenantFiles(fullTenant(1, 'ab12cd', 'shop')),
      meta({ verb: 'deploy', service: 'web', summary: 'roll out b2b2b2b', deploymentId: 'dep-1', sourceCommit: SHA_B }),
    );

    const format = '%an|%ae|%cn|%ce|%at|%s';
    expect(git(dir.path, 'log', '-1', `--format=${format}`).trim()).toBe(
      `Alice Liddell|alice@example.com|Dangus Platform|platform@dangus.test|${String(FIXED_NOW().getTime() / 1000)}|deploy(ab12cd-shop/web): roll out b2b2b2b`,
    );
    expect(git(dir.path, 'log', '-1', '--format=%(trailers:only,unfold)').trim().split('\n')).toEqual([
      'Dangus-Actor: alice',
      'Dangus-Deployment: dep-1',
      `Dangus-Source-Commit: ${SHA_B}`,
    ]);
  });

  it('when meta holds newlines and angle brackets, then they cannot forge headers or trailers', async () => {
    const repo = await open();
    await repo.commitTenant(
      'ab12cd-shop',
      tenantFiles(fullTenant(1, 'ab12cd', 'shop')),
      meta({
        actor: { name: 'Eve <root@x>\ncommitter Mallory', email: 'eve@example.com>\n', login: 'eve\nDangus-Actor: root' },
        summary: 'line one\n\nDangus-Actor: root',
      }),
    );

    expect(git(dir.path, 'log', '-1', '--format=%an|%ae|%s').trim()).toBe(
      'Eve root@x committer Mallory|eve@example.com|update(ab12cd-shop): line one Dangus-Actor: root',
    );
    expect(git(dir.path, 'log', '-1', '--format=%(trailers:key=Dangus-Actor,valueonly)').trim()).toBe(
      'eve Dangus-Actor: root',
    );
    git(dir.path, 'fsck', '--strict', '--no-dangling');
  });

  it('when a tenant is deleted, then its directory and its root kustomization entry go in one commit', async () => {
    const repo = await open();
    const shop = fullTenant(1, 'ab12cd', 'shop');
    const blog = fullTenant(2, 'zz99yy', 'blog');
    await repo.commitTenant('ab12cd-shop', tenantFiles(shop), meta());
    await repo.commitTenant('zz99yy-blog', tenantFiles(blog), meta());

    await repo.commitTenant('zz99yy-blog', null, meta({ verb: 'delete', summary: 'delete project blog' }));
    expect(filesAt(dir.path)).toEqual(render(input([shop]), templates));

    await repo.commitTenant('ab12cd-shop', null, meta({ verb: 'delete', summary: 'delete project shop' }));
    expect([...filesAt(dir.path).keys()]).toEqual(['kustomization.yaml']);
    expect(git(dir.path, 'rev-list', '--count', 'HEAD').trim()).toBe('4');
    git(dir.path, 'fsck', '--strict', '--no-dangling');
  });

  it.each([
    ['a path outside the tenant', 'ab12cd-shop', new Map([['tenants/other/x.yaml', 'x']])],
    ['a path escaping with ..', 'ab12cd-shop', new Map([['tenants/ab12cd-shop/../x.yaml', 'x']])],
    ["another tenant's Flux Kustomization", 'ab12cd-shop', new Map([['flux/zz99yy-blog.yaml', 'x']])],
    ['the Flux index', 'ab12cd-shop', new Map([['flux/kustomization.yaml', 'x']])],
    ['a bad namespace', '../x', null],
  ])('when given %s, then it refuses and commits nothing', async (_name, namespace, files) => {
    const repo = await open();
    await expect(repo.commitTenant(namespace, files, meta())).rejects.toThrow(StateRepoError);
    expect(await repo.head()).toBeNull();
  });
});

describe('commitAll (reconcile)', () => {
  it('when the repo lags the database, then one reconcile commit makes it match; a second makes none', async () => {
    const repo = await open();
    const shop = fullTenant(1, 'ab12cd', 'shop');
    await repo.commitTenant('ab12cd-shop', tenantFiles(shop), meta());
    // The database moved on (a tenant added, one service changed) but the api
    // crashed before its git commit: the start-up reconcile repairs it.
    const moved = fullTenant(1, 'ab12cd', 'shop');
    (moved.services[0] as { port: number }).port = 9090;
    const desired = render(input([moved, fullTenant(2, 'zz99yy', 'blog')]), templates);

    const healed = await repo.commitAll(desired, meta({ verb: 'reconcile', summary: 're-render from the database' }));
    expect(healed.commit).not.toBeNull();
    expect(filesAt(dir.path)).toEqual(desired);
    expect(git(dir.path, 'log', '-1', '--format=%s').trim()).toBe('reconcile(*): re-render from the database');

    const again = await repo.commitAll(desired, meta({ verb: 'reconcile', summary: 're-render' }));
    expect(again).toEqual({ commit: null, head: healed.commit });
    git(dir.path, 'fsck', '--strict', '--no-dangling');
  });

  it('when per-tenant commits already built the same state, then reconcile makes no commit', async () => {
    const repo = await open();
    const tenants = [fullTenant(1, 'ab12cd', 'shop'), fullTenant(2, 'zz99yy', 'blog')];
    for (const tenant of tenants) await repo.commitTenant(tenant.namespace, tenantFiles(tenant), meta());
    const result = await repo.commitAll(render(input(tenants), templates), meta({ verb: 'reconcile' }));
    expect(result.commit).toBeNull();
  });
});

describe('commitAll of the tenants that render (failure isolation)', () => {
  it('when one tenant cannot be rendered, then the others are reconciled and its files stay as committed', async () => {
    const repo = await open();
    const shop = fullTenant(1, 'ab12cd', 'shop');
    const blog = fullTenant(2, 'zz99yy', 'blog');
    await repo.commitTenant(shop.namespace, tenantFiles(shop), meta());
    await repo.commitTenant(blog.namespace, tenantFiles(blog), meta());
    const committedShop = filesAt(dir.path);

    // The shop's image row became something no registry takes; the blog moved on;
    // a third tenant is broken from its first row and was never in the repo.
    const brokenShop = fullTenant(1, 'ab12cd', 'shop');
    brokenShop.services[0]!.image = 'harbor.example.com/dangus/--/web:x';
    const movedBlog = fullTenant(2, 'zz99yy', 'blog');
    movedBlog.services[0]!.port = 9090;
    const neverRendered = fullTenant(3, 'qq11qq', 'new');
    neverRendered.services[0]!.repoUrl = 'not a url';
    const { files, failures } = renderEach(input([brokenShop, movedBlog, neverRendered]), templates);
    expect(failures.map((f) => [f.namespace, f.projectId, f.error.name])).toEqual([
      ['ab12cd-shop', brokenShop.project.id, 'RenderInputError'],
      ['qq11qq-new', neverRendered.project.id, 'RenderInputError'],
    ]);

    const result = await repo.commitAll({ files, keep: failures.map((f) => f.namespace) }, meta({ verb: 'reconcile' }));
    expect(result.commit).not.toBeNull();
    // Exactly what a full render of the last good shop and the new blog gives.
    const after = filesAt(dir.path);
    expect(after).toEqual(render(input([shop, movedBlog]), templates));
    const shopFiles = (files: ReadonlyMap<string, string>) => [...files].filter(([path]) => path.startsWith('tenants/ab12cd-shop/'));
    expect(shopFiles(after)).toEqual(shopFiles(committedShop));
    git(dir.path, 'fsck', '--strict', '--no-dangling');

    const again = await repo.commitAll({ files, keep: ['ab12cd-shop', 'qq11qq-new'] }, meta({ verb: 'reconcile' }));
    expect(again.commit).toBeNull();
  });

  it('when no tenant renders and none is in the repo, then the repo holds the empty root kustomization', async () => {
    const repo = await open();
    const broken = fullTenant(1, 'ab12cd', 'shop');
    broken.services[0]!.port = 0;
    const { files, failures } = renderEach(input([broken]), templates);
    await repo.commitAll({ files, keep: failures.map((f) => f.namespace) }, meta({ verb: 'reconcile' }));
    expect(filesAt(dir.path)).toEqual(render(input([]), templates));
  });
});

describe('one writer at a time', () => {
  it('when many writes arrive at once, then each lands as its own commit on a linear history', async () => {
    const repo = await open();
    const tenants = Array.from({ length: 20 }, (_, i) => fullTenant(i + 1, `t${String(i).padStart(5, '0')}`, 'p'));
    await Promise.all(tenants.map((t) => repo.commitTenant(t.namespace, tenantFiles(t), meta({ verb: 'create' }))));

    expect(git(dir.path, 'rev-list', '--count', 'HEAD').trim()).toBe('20');
    expect(git(dir.path, 'rev-list', '--merges', 'HEAD').trim()).toBe('');
    expect(filesAt(dir.path)).toEqual(render(input(tenants), templates));
  });

  it('when two writers share a lock, then no commit is lost', async () => {
    const lock = mutex();
    const a = await open({ lock });
    const b = await open({ lock });
    const tenants = Array.from({ length: 10 }, (_, i) => fullTenant(i + 1, `w${String(i).padStart(5, '0')}`, 'p'));
    await Promise.all(
      tenants.map((t, i) => (i % 2 === 0 ? a : b).commitTenant(t.namespace, tenantFiles(t), meta({ verb: 'create' }))),
    );

    expect(git(dir.path, 'rev-list', '--count', 'HEAD').trim()).toBe('10');
    expect(filesAt(dir.path)).toEqual(render(input(tenants), templates));
  });

  it('when two writers skip the lock, then a lost update is refused, never silent', async () => {
    const a = await open();
    const b = await open();
    const tenants = Array.from({ length: 10 }, (_, i) => fullTenant(i + 1, `r${String(i).padStart(5, '0')}`, 'p'));
    const results = await Promise.allSettled(
      tenants.map((t, i) => (i % 2 === 0 ? a : b).commitTenant(t.namespace, tenantFiles(t), meta())),
    );

    const landed = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.commit);
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as unknown);
    refused.forEach((reason) => {
      expect(reason).toBeInstanceOf(ConcurrentUpdateError);
    });
    const history = git(dir.path, 'rev-list', 'HEAD').trim().split('\n');
    expect(history.length).toBe(landed.length);
    landed.forEach((commit) => {
      expect(history).toContain(commit);
    });
  });
});

/** An in-memory stand-in for the api's PostgreSQL advisory lock, shared by two writers. */
function mutex(): WriteLock {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    withLock<T>(fn: () => Promise<T>): Promise<T> {
      const run = tail.then(fn, fn);
      tail = run.catch(() => undefined);
      return run;
    },
  };
}
