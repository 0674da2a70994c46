import { describe, expect, it } from '@jest/globals';
import { loadYaml, type V1LimitRange } from '@kubernetes/client-node';
import { isSubset, toPlainJson, withoutForeignEditors, type ManagedFieldsEntry } from './drift.js';

describe('isSubset (desired ⊆ live)', () => {
  it.each([
    ['defaults added by the apiserver', { spec: { replicas: 1 } }, { spec: { replicas: 1, revisionHistoryLimit: 10 }, status: {} }, true],
    ['a changed scalar', { spec: { replicas: 1 } }, { spec: { replicas: 3 } }, false],
    ['a missing field', { metadata: { labels: { a: 'b' } } }, { metadata: {} }, false],
    ['an extra label', { metadata: { labels: { a: 'b' } } }, { metadata: { labels: { a: 'b', c: 'd' } } }, true],
    ['list items with defaults', { ports: [{ port: 80 }] }, { ports: [{ port: 80, protocol: 'TCP' }] }, true],
    ['a list that grew', { args: ['a'] }, { args: ['a', 'b'] }, false],
    ['a list in another order', { args: ['a', 'b'] }, { args: ['b', 'a'] }, false],
    ['a string for a number', { port: 80 }, { port: '80' }, false],
    ['a null desired value and no live value', { a: null }, {}, true],
    ['a mapping where a list is', { a: {} }, { a: [] }, false],
  ])('%s → %s', (_case, desired, live, expected) => {
    expect(isSubset(desired, live)).toBe(expected);
  });
});

describe('toPlainJson', () => {
  it('gives the wire names and values of a client model (LimitRange default), and keeps plain objects', () => {
    const model = loadYaml<V1LimitRange>(
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'LimitRange',
        metadata: { name: 'l', creationTimestamp: '2026-01-02T03:04:05Z', annotations: { a: 'b' } },
        spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '50m' } }] },
      }),
    );
    expect(model.spec?.limits[0]?._default).toEqual({ cpu: '500m' });
    expect(toPlainJson(model)).toEqual({
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: { name: 'l', creationTimestamp: '2026-01-02T03:04:05.000Z', annotations: { a: 'b' } },
      spec: { limits: [{ type: 'Container', default: { cpu: '500m' }, defaultRequest: { cpu: '50m' } }] },
    });
    expect(toPlainJson({ x: [1, { _default: 2 }], y: undefined })).toEqual({ x: [1, { _default: 2 }] });
  });
});

describe('withoutForeignEditors', () => {
  const OURS = 'dangus-applier';
  const port = (p: number) => `k:{"port":${String(p)},"protocol":"TCP"}`;
  const desired = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      template: { spec: { containers: [{ name: 'app', image: 'x', env: [{ name: 'A', value: '1' }] }] } },
      ports: [{ name: 'http', port: 80 }],
    },
  };
  const live = (entries: ManagedFieldsEntry[]) => ({ metadata: { managedFields: entries } });
  const ours: ManagedFieldsEntry = { manager: OURS, operation: 'Apply', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:app': {} } } } };

  it('takes list entries a hand edit added to lists the manifest sets, nested ones too, and leaves its map keys', () => {
    const kubectl: ManagedFieldsEntry = {
      manager: 'kubectl-patch',
      operation: 'Update',
      fieldsV1: {
        'f:metadata': { 'f:labels': { 'f:team': {} } },
        'f:spec': {
          'f:ports': { [port(9999)]: { '.': {}, 'f:port': {} } },
          'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:env': { 'k:{"name":"EVIL"}': { '.': {} } } }, 'k:{"name":"sidecar"}': { '.': {} } } } },
        },
      },
    };
    const result = withoutForeignEditors(live([ours, kubectl]), desired, OURS);
    expect(result).toEqual([
      {
        ...ours,
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:ports': { [port(9999)]: { '.': {}, 'f:port': {} } },
            'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { 'f:env': { 'k:{"name":"EVIL"}': { '.': {} } } }, 'k:{"name":"sidecar"}': { '.': {} } } } },
          },
        },
      },
      // The label they added stays theirs.
      { ...kubectl, fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } },
    ]);
  });

  it('leaves controllers, status writers and unrelated edits alone: nothing to take is null', () => {
    const controller: ManagedFieldsEntry = { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:spec': { 'f:ports': { [port(1)]: {} } } } };
    const status: ManagedFieldsEntry = { manager: 'kubectl-edit', operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': {} } };
    const label: ManagedFieldsEntry = { manager: 'kubectl-label', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:team': {} } } } };
    expect(withoutForeignEditors(live([ours, controller, status, label]), desired, OURS)).toBeNull();
  });

  it('takes from another server-side applier (a GitOps handover) and drops its entry once nothing is left', () => {
    const flux: ManagedFieldsEntry = { manager: 'kustomize-controller', operation: 'Apply', fieldsV1: { 'f:spec': { 'f:ports': { [port(8080)]: { '.': {} } } } } };
    const result = withoutForeignEditors(live([ours, flux]), desired, OURS);
    expect(result?.map((e) => e.manager)).toEqual([OURS]);
  });

  it('is null without an entry of ours: nothing was applied yet', () => {
    const kubectl: ManagedFieldsEntry = { manager: 'kubectl', operation: 'Update', fieldsV1: { 'f:spec': { 'f:ports': { [port(9)]: {} } } } };
    expect(withoutForeignEditors(live([kubectl]), desired, OURS)).toBeNull();
    expect(withoutForeignEditors(live([kubectl]), desired, OURS, ['kustomize-controller'])).toBeNull();
  });

  it('takes the whole set of a manager it overrides, scalars and map keys too, into ours', () => {
    const flux: ManagedFieldsEntry = {
      manager: 'kustomize-controller',
      operation: 'Apply',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:kustomize.toolkit.fluxcd.io/name': {} } }, 'f:spec': { 'f:ports': { [port(80)]: { '.': {} } } } },
    };
    const controller: ManagedFieldsEntry = { manager: 'kube-controller-manager', operation: 'Update', fieldsV1: { 'f:status': {} } };
    expect(withoutForeignEditors(live([controller, ours, flux]), desired, OURS, ['kustomize-controller'])).toEqual([
      controller,
      {
        ...ours,
        fieldsV1: {
          'f:metadata': { 'f:labels': { 'f:app': {}, 'f:kustomize.toolkit.fluxcd.io/name': {} } },
          'f:spec': { 'f:ports': { [port(80)]: { '.': {} } } },
        },
      },
    ]);
  });

  it('after a handover from Flux, with no entry of ours, the overridden entry becomes ours', () => {
    const flux: ManagedFieldsEntry = { manager: 'kustomize-controller', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', time: '2026-11-30T10:00:00Z', fieldsV1: { 'f:spec': { 'f:ports': { [port(80)]: {} } } } };
    const edit: ManagedFieldsEntry = { manager: 'kubectl-patch', operation: 'Update', fieldsV1: { 'f:spec': { 'f:ports': { [port(9)]: {} } } } };
    expect(withoutForeignEditors(live([flux, edit]), desired, OURS, ['kustomize-controller'])).toEqual([
      { ...flux, manager: OURS, fieldsV1: { 'f:spec': { 'f:ports': { [port(80)]: {}, [port(9)]: {} } } } },
    ]);
    // Without the override, Flux keeps its set.
    expect(withoutForeignEditors(live([flux, edit]), desired, OURS)).toBeNull();
  });
});
