import { describe, expect, it } from '@jest/globals';
import { belongsTo, summarize } from './service-events.js';

describe('belongsTo', () => {
  it.each<[string | undefined, string, boolean]>([
    ['Deployment', 'web', true],
    ['Deployment', 'web-api', false],
    ['ReplicaSet', 'web-7d9f8c6b5', true],
    ['ReplicaSet', 'web-api-7d9f8c6b5', false],
    ['Pod', 'web-7d9f8c6b5-x2x9q', true],
    ['Pod', 'web-apiserver-7d9f8c6b5', false],
    ['Pod', 'web-api-7d9f8c6b5-x2x9q', false],
    ['Pod', 'web-build-0123abc-k9z2m', true],
    ['Job', 'web-build-0123abc', true],
    ['Job', 'web-api-build-0123abc', false],
    ['PersistentVolumeClaim', 'web-data', true],
    ['Service', 'web', false],
    [undefined, 'web', false],
  ])('%s %s belongs to web: %s', (kind, name, expected) => {
    expect(belongsTo('web', kind, name)).toBe(expected);
  });
});

describe('summarize', () => {
  it('says which quota is used up and how much, in cores for CPU', () => {
    const message = 'pods "web-7d9f8c6b5-x2x9q" is forbidden: exceeded quota: tenant-quota, requested: limits.cpu=500m, used: limits.cpu=3500m, limited: limits.cpu=4';
    expect(summarize('FailedCreate', message)).toBe("Waiting: the project's limits.cpu quota is used up (3.5 cores of 4 cores), so a pod cannot be created.");
  });

  it.each([
    ['FailedScheduling', '0/1 nodes are available: 1 Insufficient memory.', 'Waiting: no node has enough memory free for the pod.'],
    ['BackOff', 'Back-off restarting failed container app in pod web-1', 'The app keeps exiting: Kubernetes restarts it, waiting longer each time.'],
    ['Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 500', 'The health check fails: Readiness probe failed: HTTP probe failed with statuscode: 500'],
    ['Scheduled', 'Successfully assigned ns/web-1 to node', null],
  ])('%s: %s', (reason, message, expected) => {
    expect(summarize(reason, message)).toBe(expected);
  });
});
