/**
 * The object-storage endpoint past the tenants' egress policy (README "Object storage"):
 * with `objectStorageEgress` each tenant gets one NetworkPolicy letting its apps, not its
 * builds, reach that address on that port, built from the settings alone; without it,
 * nothing changes. Hostile values are refused by the settings' schema, never rendered.
 */
import { loadAll } from 'js-yaml';
import { render } from '../src/render/render.js';
import type { RenderInput } from '../src/render/types.js';
import { fullTenant, input, loadTemplates } from './support/fixtures.js';

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & { template?: { metadata?: { labels?: Record<string, string> } } };
}

describe('the object-storage egress policy', () => {
  const renderWith = async (objectStorageEgress: unknown) => {
    const base = input([fullTenant(1, 'ab12cd', 'shop')]);
    const files = render({ ...base, settings: { ...base.settings, objectStorageEgress } } as RenderInput, await loadTemplates());
    const docs = (path: string) => loadAll(files.get(path) ?? '') as Manifest[];
    return {
      policies: docs('tenants/ab12cd-shop/namespace.yaml').filter((doc) => doc.kind === 'NetworkPolicy'),
      job: docs('tenants/ab12cd-shop/web/build-b2b2b2b.yaml').find((doc) => doc.kind === 'Job'),
      app: docs('tenants/ab12cd-shop/web/deployment.yaml').find((doc) => doc.kind === 'Deployment'),
    };
  };

  it('lets the apps, not the builds, reach the address on the port', async () => {
    const { policies, job, app } = await renderWith({ cidr: '10.88.0.1/32', port: 8333 });
    const policy = policies.find((doc) => doc.metadata.name === 'object-storage-egress');
    expect(policy?.spec).toEqual({
      podSelector: { matchLabels: { 'dangus.cloud/role': 'app' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.88.0.1/32' } }], ports: [{ protocol: 'TCP', port: 8333 }] }],
    });
    // The app's pods carry the label the policy selects; the build's do not.
    expect(app?.spec.template?.metadata?.labels?.['dangus.cloud/role']).toBe('app');
    expect(job?.spec.template?.metadata?.labels?.['dangus.cloud/role']).toBe('build');
  });

  it('is absent without the setting, and the other policies are the same either way', async () => {
    const without = await renderWith(null);
    const withIt = await renderWith({ cidr: '10.88.0.1/32', port: 8333 });
    expect(without.policies.map((doc) => doc.metadata.name)).toEqual(['tenant-isolation', 'tenant-egress']);
    expect(withIt.policies.filter((doc) => doc.metadata.name !== 'object-storage-egress')).toEqual(without.policies);
  });

  it('refuses a value that is not a CIDR or a port, rendering nothing', async () => {
    for (const bad of [{ cidr: '10.0.0.0/8"\n  evil: true', port: 80 }, { cidr: '10.88.0.1/32', port: '80\nx: 1' }, { cidr: '10.88.0.1/32', port: 70_000 }]) {
      await expect(renderWith(bad)).rejects.toThrow();
    }
  });
});
