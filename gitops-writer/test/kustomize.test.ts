/**
 * Compatibility with what Flux's kustomize-controller (or Argo CD) would apply:
 * `kubectl kustomize` on the root of a checked-out state repo yields exactly the
 * rendered objects, no more, no fewer, none altered.
 */
import { execFileSync } from 'node:child_process';
import { loadAll } from 'js-yaml';
import { render, renderTenant } from '../src/render/render.js';
import { StateRepo } from '../src/state-repo/state-repo.js';
import { SETTINGS, SHA_A, fullTenant, input, loadTemplates, service, tenant } from './support/fixtures.js';
import { git, tempDir } from './support/git.js';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

function objectsOf(texts: Iterable<string>): Map<string, unknown> {
  const objects = new Map<string, unknown>();
  for (const text of texts) {
    for (const document of loadAll(text)) {
      const o = document as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
      if (o.kind === 'Kustomization') continue;
      const id = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
      expect(objects.has(id)).toBe(false);
      objects.set(id, o);
    }
  }
  return objects;
}

it('kubectl kustomize on the repo root yields exactly the rendered objects', async () => {
  const templates = await loadTemplates();
  const tenants = [
    fullTenant(1, 'ab12cd', 'shop'),
    fullTenant(2, 'zz99yy', 'blog', 'ghost'),
    tenant(3, 'qq11ww', 'empty', []),
    tenant(4, 'ab12cd', 'lab', [
      service(7, 'first-build', { storageGb: null, healthCheckPath: null }),
      service(8, 'live', { image: `harbor.example.com/dangus/ab12cd-lab/live:${SHA_A}`, storageGb: null }),
    ]),
  ];
  const repoDir = await tempDir('dangus-kustomize-repo-');
  const checkout = await tempDir('dangus-kustomize-tree-');
  try {
    const repo = await StateRepo.open({ dir: repoDir.path });
    for (const t of tenants) {
      await repo.commitTenant(t.namespace, renderTenant(t, SETTINGS, templates), {
        verb: 'create',
        summary: `create ${t.project.name}`,
        actor: { name: 'Alice', email: 'alice@example.com', login: 'alice' },
      });
    }
    git(repoDir.path, '--work-tree', checkout.path, 'checkout', '-f', 'HEAD', '--', '.');

    const built = execFileSync(KUBECTL, ['kustomize', checkout.path], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });

    const expected = objectsOf(render(input(tenants), templates).values());
    const actual = objectsOf([built]);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [id, object] of expected) {
      expect({ id, object: actual.get(id) }).toEqual({ id, object });
    }
  } finally {
    await repoDir.remove();
    await checkout.remove();
  }
});
