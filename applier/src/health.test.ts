import { describe, expect, it } from '@jest/globals';
import { healthOf, type HealthStatus } from './health.js';

function deployment(spec: object, status: object, generation = 2): Record<string, unknown> {
  return { kind: 'Deployment', metadata: { name: 'web', generation }, spec: { replicas: 2, ...spec }, status };
}

describe('healthOf', () => {
  it.each<[string, Record<string, unknown> | null, HealthStatus]>([
    ['a missing object', null, 'NotFound'],
    ['a Deployment whose spec the controller has not seen', deployment({}, { observedGeneration: 1 }), 'InProgress'],
    ['a Deployment past its progress deadline', deployment({}, { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }), 'Failed'],
    ['a Deployment rolling out', deployment({}, { observedGeneration: 2, replicas: 2, updatedReplicas: 1, availableReplicas: 2 }), 'InProgress'],
    ['a Deployment with old replicas still terminating', deployment({}, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }), 'InProgress'],
    ['a Deployment not yet available', deployment({}, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }), 'InProgress'],
    ['a Deployment updated and available', deployment({}, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }), 'Current'],
    ['a Deployment scaled to zero', deployment({ replicas: 0 }, { observedGeneration: 2 }), 'Current'],
    ['a Job running', { kind: 'Job', metadata: {}, status: { active: 1 } }, 'InProgress'],
    ['a Job complete', { kind: 'Job', metadata: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } }, 'Current'],
    ['a Job failed', { kind: 'Job', metadata: {}, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } }, 'Failed'],
    ['a PVC bound', { kind: 'PersistentVolumeClaim', metadata: {}, spec: {}, status: { phase: 'Bound' } }, 'Current'],
    ['a PVC pending on an Immediate class', { kind: 'PersistentVolumeClaim', metadata: {}, spec: { storageClassName: 'fast' }, status: { phase: 'Pending' } }, 'InProgress'],
    ['a PVC pending on a WaitForFirstConsumer class', { kind: 'PersistentVolumeClaim', metadata: {}, spec: { storageClassName: 'local' }, status: { phase: 'Pending' } }, 'Current'],
    ['a PVC pending on the default class, WaitForFirstConsumer', { kind: 'PersistentVolumeClaim', metadata: {}, spec: {}, status: { phase: 'Pending' } }, 'Current'],
    ['a PVC that lost its volume', { kind: 'PersistentVolumeClaim', metadata: {}, spec: {}, status: { phase: 'Lost' } }, 'Failed'],
    ['a Namespace terminating', { kind: 'Namespace', metadata: {}, status: { phase: 'Terminating' } }, 'InProgress'],
    ['anything being deleted', { kind: 'Service', metadata: { deletionTimestamp: '2024-01-01T00:00:00Z' } }, 'InProgress'],
    ['a Service', { kind: 'Service', metadata: {}, spec: {} }, 'Current'],
  ])('%s → %s', (_case, live, expected) => {
    const context = { storageClasses: new Map([['fast', 'Immediate'], ['local', 'WaitForFirstConsumer']]), defaultStorageClass: 'local' };
    expect(healthOf(live, context).status).toBe(expected);
  });
});
