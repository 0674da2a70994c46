/** The repository's templates: they load, and their README documents every variable. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { ManifestValidationError } from '../src/errors.js';
import { render } from '../src/render/render.js';
import { VARIABLE_CATALOG } from '../src/render/variable-catalog.js';
import { parseTemplates } from '../src/templates/parse-templates.js';
import { DEFAULT_TEMPLATES_DIR, readTemplates } from '../src/templates/read-templates.js';
import { fullTenant, input, loadTemplates } from './support/fixtures.js';

describe('templates/', () => {
  let texts: Awaited<ReturnType<typeof readTemplates>>;
  beforeAll(async () => {
    texts = await readTemplates();
  });

  it('parses and checks', () => {
    expect(() => parseTemplates(texts)).not.toThrow();
  });

  it.each(Object.keys(VARIABLE_CATALOG))('README.md documents {{%s}}', async (name) => {
    const readme = await readFile(join(DEFAULT_TEMPLATES_DIR, 'README.md'), 'utf8');
    expect(readme).toContain(`| \`${name}\` |`);
  });
});

describe('rendered objects are validated', () => {
  const doc = (kind: string, extra: string, namespace = '"{{namespace}}"'): string =>
    `apiVersion: ${kind}\nmetadata:\n  name: extra\n  namespace: ${namespace}\n${extra}`;
  it.each([
    [
      'a field of the wrong type',
      doc('apps/v1\nkind: Deployment', 'spec:\n  replicas: "{{service_name}}"\n  selector: {}\n  template: {}\n'),
      'must be integer',
    ],
    ['an object in another namespace', doc('v1\nkind: ConfigMap', '', 'kube-system'), 'metadata.namespace must be'],
    ['a Secret', doc('v1\nkind: Secret', 'stringData:\n  a: b\n'), 'a Secret may not be rendered'],
    ['a kind without a schema', doc('example.com/v1\nkind: Widget', ''), 'no schema for example.com/v1/Widget'],
  ])('when a template yields %s, then the render fails and yields nothing', async (_name, extra, message) => {
    const texts = await readTemplates();
    texts.service = `${texts.service}---\n${extra}`;
    const templates = parseTemplates(texts);
    expect(() => render(input([fullTenant(1, 'ab12cd', 'shop')]), templates)).toThrow(ManifestValidationError);
    expect(() => render(input([fullTenant(1, 'ab12cd', 'shop')]), templates)).toThrow(message);
  });

  it('when two templates yield the same object, then the render fails', async () => {
    const texts = await readTemplates();
    texts.ingress = `${texts.ingress}---\n${texts.service}`;
    const templates = parseTemplates(texts);
    expect(() => render(input([fullTenant(1, 'ab12cd', 'shop')]), templates)).toThrow('also rendered in');
  });

  it('the default templates render every kind for a live service with a build', async () => {
    const files = render(input([fullTenant(1, 'ab12cd', 'shop')]), await loadTemplates());
    expect([...files.keys()]).toEqual([
      'kustomization.yaml',
      'flux/kustomization.yaml',
      'flux/ab12cd-shop.yaml',
      'tenants/ab12cd-shop/kustomization.yaml',
      'tenants/ab12cd-shop/namespace.yaml',
      'tenants/ab12cd-shop/web/build-b2b2b2b.yaml',
      'tenants/ab12cd-shop/web/deployment.yaml',
      'tenants/ab12cd-shop/web/ingress.yaml',
      'tenants/ab12cd-shop/web/kustomization.yaml',
      'tenants/ab12cd-shop/web/pvc.yaml',
      'tenants/ab12cd-shop/web/service.yaml',
    ]);
  });
});

describe('tenant egress', () => {
  const egressRules = async (egressDeniedCidrs: string[]) => {
    const files = render({ ...input([fullTenant(1, 'ab12cd', 'shop')]), settings: { ...input([]).settings, egressDeniedCidrs } }, await loadTemplates());
    const policy = (files.get('tenants/ab12cd-shop/namespace.yaml') ?? '').split('\n---\n').find((doc) => doc.includes('name: tenant-egress')) ?? '';
    return [...policy.matchAll(/cidr: (\S+)/g)].map((match) => match[1]);
  };

  it('opens IPv6 only with the IPv6 exceptions, none without', async () => {
    expect(await egressRules(['10.0.0.0/8', 'fc00::/7'])).toEqual(['0.0.0.0/0', '::/0']);
    expect(await egressRules(['10.0.0.0/8'])).toEqual(['0.0.0.0/0']);
  });
});

describe('build egress', () => {
  interface Manifest {
    kind: string;
    metadata: { name: string };
    spec: Record<string, unknown> & { template?: { metadata?: { labels?: Record<string, string> } } };
  }
  const renderWith = async (buildEgressCidr: string | null) => {
    const files = render({ ...input([fullTenant(1, 'ab12cd', 'shop')]), settings: { ...input([]).settings, buildEgressCidr } }, await loadTemplates());
    const docs = (path: string) => loadAll(files.get(path) ?? '') as Manifest[];
    return {
      policies: docs('tenants/ab12cd-shop/namespace.yaml').filter((doc) => doc.kind === 'NetworkPolicy'),
      job: docs('tenants/ab12cd-shop/web/build-b2b2b2b.yaml').find((doc) => doc.kind === 'Job'),
    };
  };

  it('with a CIDR, the tenant gets a policy letting its build pods, and only them, reach it', async () => {
    const { policies, job } = await renderWith('10.43.7.20/32');
    const policy = policies.find((doc) => doc.metadata.name === 'build-egress');
    expect(policy?.spec).toEqual({
      podSelector: { matchLabels: { 'dangus.cloud/role': 'build' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '10.43.7.20/32' } }] }],
    });
    // The build Job's pods carry the label the policy selects.
    expect(job?.spec.template?.metadata?.labels).toEqual(expect.objectContaining({ 'dangus.cloud/role': 'build' }));
  });

  it('without one, there is no build egress policy, and the tenant policies are the same', async () => {
    const without = await renderWith(null);
    const withCidr = await renderWith('10.43.7.20/32');
    expect(without.policies.map((doc) => doc.metadata.name)).toEqual(['tenant-isolation', 'tenant-egress']);
    expect(withCidr.policies.filter((doc) => doc.metadata.name !== 'build-egress')).toEqual(without.policies);
  });
});
