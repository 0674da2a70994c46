import { describe, expect, it } from '@jest/globals';
import type { ObjectRef } from './object-ref.js';
import { applyPhase, applyPhases, prunePhases } from './order.js';

function ref(kind: string, namespace = 'ns', group = ''): ObjectRef {
  return { group, apiVersion: group === '' ? 'v1' : `${group}/v1`, kind, namespace, name: kind.toLowerCase() };
}

describe('applyPhase', () => {
  it.each([
    [ref('Namespace', ''), 0],
    [ref('ClusterRole', '', 'rbac.authorization.k8s.io'), 1],
    [ref('ConfigMap'), 2],
    [ref('Secret'), 2],
    [ref('PersistentVolumeClaim'), 2],
    [ref('Service'), 2],
    [ref('ServiceAccount'), 2],
    [ref('NetworkPolicy', 'ns', 'networking.k8s.io'), 2],
    [ref('LimitRange'), 2],
    [ref('ResourceQuota'), 2],
    [ref('Deployment', 'ns', 'apps'), 3],
    [ref('Job', 'ns', 'batch'), 3],
    [ref('Widget', 'ns', 'example.com'), 3],
    [ref('Ingress', 'ns', 'networking.k8s.io'), 4],
  ])('%o is in phase %d', (r, phase) => {
    expect(applyPhase(r)).toBe(phase);
  });
});

describe('applyPhases / prunePhases', () => {
  const items = [ref('Ingress', 'ns', 'networking.k8s.io'), ref('Deployment', 'ns', 'apps'), ref('Service'), ref('Namespace', '')].map((r) => ({ ref: r }));

  it('applies namespaces, then config, then workloads, then ingresses', () => {
    expect(applyPhases(items).map((phase) => phase.map((i) => i.ref.kind))).toEqual([['Namespace'], ['Service'], ['Deployment'], ['Ingress']]);
  });

  it('prunes in the reverse order', () => {
    expect(prunePhases(items).map((phase) => phase.map((i) => i.ref.kind))).toEqual([['Ingress'], ['Deployment'], ['Service'], ['Namespace']]);
  });
});
