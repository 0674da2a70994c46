import { describe, expect, it } from '@jest/globals';
import { newInventory } from './inventory.js';
import { parseManifests, type DesiredObject } from './manifests.js';
import { planSync } from './plan.js';

const ns = 'ab12cd-shop';
function desired(): DesiredObject[] {
  const result = parseManifests([
    { path: `tenants/${ns}/namespace.yaml`, text: `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n` },
    { path: `tenants/${ns}/web/deployment.yaml`, text: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: ${ns}\nspec:\n  replicas: 1\n` },
    { path: `tenants/${ns}/web/build-abc.yaml`, text: `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: web-build-abc\n  namespace: ${ns}\nspec:\n  backoffLimit: 0\n` },
  ]);
  if (!result.ok) throw new Error('fixture is invalid');
  return result.objects;
}

describe('planSync', () => {
  const objects = desired();
  const applied = newInventory('c1', objects.map((d) => ({ ref: d.ref, hash: d.hash })));
  const liveAsApplied = new Map(objects.map((d) => [d.key, { ...d.object, status: {} }]));
  const actions = (plan: ReturnType<typeof planSync>) => Object.fromEntries(plan.steps.map((s) => [s.item.ref.kind, s.action]));

  it('when nothing was applied yet, then everything is applied', () => {
    expect(actions(planSync(objects, newInventory(null, []), new Map()))).toEqual({ Namespace: 'apply', Deployment: 'apply', Job: 'apply' });
  });

  it('when the cluster matches what was applied, then nothing is written', () => {
    expect(actions(planSync(objects, applied, liveAsApplied))).toEqual({ Namespace: 'unchanged', Deployment: 'unchanged', Job: 'unchanged' });
  });

  it('when a Deployment was edited by hand, then it is applied again', () => {
    const live = new Map<string, unknown>(liveAsApplied);
    const key = objects.find((d) => d.ref.kind === 'Deployment')!.key;
    live.set(key, { ...(live.get(key) as object), spec: { replicas: 5 } });
    expect(actions(planSync(objects, applied, live)).Deployment).toBe('apply');
  });

  it('when a Job applied before is gone, then it is not re-created; a Job never applied is', () => {
    const live = new Map([...liveAsApplied].filter(([, o]) => o.kind !== 'Job'));
    expect(actions(planSync(objects, applied, live)).Job).toBe('job-gone');
    const notRecorded = newInventory('c1', applied.entries.filter((e) => e.ref.kind !== 'Job'));
    expect(actions(planSync(objects, notRecorded, live)).Job).toBe('apply');
  });

  it('when the manifest changed, then it is applied even if the live object still holds its fields', () => {
    const stale = newInventory('c0', applied.entries.map((e) => ({ ...e, hash: 'old' })));
    expect(actions(planSync(objects, stale, liveAsApplied)).Deployment).toBe('apply');
  });

  it('when a tenant left the repo, then its Namespace is pruned and its objects go with it', () => {
    const plan = planSync([], applied, liveAsApplied);
    expect(plan.prune.map((e) => e.ref.kind)).toEqual(['Namespace']);
    expect(plan.prunedWithNamespace.map((e) => e.ref.kind).sort()).toEqual(['Deployment', 'Job']);
  });

  it('when a service left the repo, then its objects are pruned and nothing else', () => {
    const plan = planSync(objects.filter((d) => d.ref.kind === 'Namespace'), applied, liveAsApplied);
    expect(plan.prune.map((e) => e.ref.kind).sort()).toEqual(['Deployment', 'Job']);
    expect(plan.prunedWithNamespace).toEqual([]);
  });
});
