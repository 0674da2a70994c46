import { describe, expect, it } from '@jest/globals';
import { isManifestPath, objectHash, parseManifests } from './manifests.js';

const ns = 'ab12cd-shop';
const namespaceYaml = `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n`;
const serviceYaml = (name: string, namespace = ns) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n  ports:\n    - port: 80\n`;

describe('parseManifests', () => {
  it('when every file is valid, then it returns every object of every document, keyed by group/kind/namespace/name', () => {
    const result = parseManifests([
      { path: `tenants/${ns}/namespace.yaml`, text: `${namespaceYaml}---\n${serviceYaml('extra')}` },
      { path: `tenants/${ns}/web/service.yaml`, text: serviceYaml('web') },
      { path: `tenants/${ns}/kustomization.yaml`, text: 'not: [valid' },
    ]);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.objects.map((o) => o.key)).toEqual([`_${ns}__Namespace`, `${ns}_extra__Service`, `${ns}_web__Service`]);
    expect(result.objects[0]?.ref).toEqual({ group: '', apiVersion: 'v1', kind: 'Namespace', namespace: '', name: ns });
  });

  it.each([
    ['YAML that does not parse', `tenants/${ns}/web/service.yaml`, 'kind: [unclosed', /not valid YAML/],
    ['a document that is not a mapping', `tenants/${ns}/web/service.yaml`, '- a\n- b\n', /not a mapping/],
    ['no kind', `tenants/${ns}/web/service.yaml`, 'apiVersion: v1\nmetadata:\n  name: x\n  namespace: ab12cd-shop\n', /no valid kind/],
    ['no name', `tenants/${ns}/web/service.yaml`, 'apiVersion: v1\nkind: Service\nmetadata:\n  namespace: ab12cd-shop\n', /no valid metadata.name/],
    ['another tenant’s namespace', `tenants/${ns}/web/service.yaml`, serviceYaml('web', 'zz99yy-blog'), /must have metadata.namespace ab12cd-shop/],
    ['no namespace', `tenants/${ns}/web/cm.yaml`, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n', /it is unset/],
    ['a Namespace of another tenant', `tenants/${ns}/namespace.yaml`, 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n', /does not belong/],
    ['a cluster-scoped object', `tenants/${ns}/role.yaml`, 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: x\n', /must have metadata.namespace/],
  ])('when a file holds %s, then the commit is invalid', (_case, path, text, message) => {
    const result = parseManifests([{ path: `tenants/${ns}/namespace.yaml`, text: namespaceYaml }, { path, text }]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(message);
  });

  it('when the same object is in two files, then the commit is invalid and both places are named', () => {
    const result = parseManifests([
      { path: `tenants/${ns}/a/service.yaml`, text: serviceYaml('web') },
      { path: `tenants/${ns}/b/service.yaml`, text: serviceYaml('web') },
    ]);
    expect(result).toEqual({ ok: false, problems: [{ path: `tenants/${ns}/b/service.yaml`, message: `Service ${ns}/web is also defined in tenants/${ns}/a/service.yaml` }] });
  });

  it('when several files are bad, then every problem is reported', () => {
    const result = parseManifests([
      { path: `tenants/${ns}/a.yaml`, text: ': :' },
      { path: `tenants/${ns}/b.yaml`, text: '[1' },
    ]);
    expect(result.ok ? 0 : result.problems.length).toBe(2);
  });
});

describe('isManifestPath', () => {
  it.each([
    ['tenants/a/namespace.yaml', true],
    ['tenants/a/web/deployment.yaml', true],
    ['tenants/a/kustomization.yaml', false],
    ['kustomization.yaml', false],
    ['README.md', false],
    ['tenants/a/web/notes.txt', false],
  ])('%s → %s', (path, expected) => {
    expect(isManifestPath(path)).toBe(expected);
  });
});

describe('objectHash', () => {
  it('does not depend on key order, and changes with any value', () => {
    expect(objectHash({ a: 1, b: { c: [1, 2] } })).toBe(objectHash({ b: { c: [1, 2] }, a: 1 }));
    expect(objectHash({ a: 1, b: { c: [1, 2] } })).not.toBe(objectHash({ a: 1, b: { c: [2, 1] } }));
  });
});
