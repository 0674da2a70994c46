import { describe, expect, it } from '@jest/globals';
import { loadYaml, type V1LimitRange } from '@kubernetes/client-node';
import { isSubset, toPlainJson } from './drift.js';

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
