import { mergeDeployment, parseDeploymentEvent } from './live-events';
import type { DeploymentView } from './deployments';

const deployment = (id: string, status: DeploymentView['status']): DeploymentView => ({
  id,
  serviceId: 's1',
  commitSha: 'abc',
  commitMessage: null,
  trigger: 'push',
  status,
  updatedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: null,
  createdAt: '2026-01-01T00:00:00Z',
  imageTag: null,
  imageDigest: null,
  reason: null,
  rollbackOf: null,
  restorable: false,
  imageDeleted: false,
});

describe('deployment events', () => {
  it('when the data is a deployment, then it is read', () => {
    expect(parseDeploymentEvent(JSON.stringify(deployment('d1', 'building')))).toMatchObject({
      id: 'd1',
      status: 'building',
    });
  });

  it.each(['not json', '42', 'null', '{"id":"d1"}'])('when the data is %s, then it is ignored', (data) => {
    expect(parseDeploymentEvent(data)).toBeNull();
  });

  it('when the deployment is known, then its row is updated in place and keeps its other fields', () => {
    const list = [{ ...deployment('d2', 'building'), buildLogs: 'x' }, deployment('d1', 'live')];
    const merged = mergeDeployment(list, deployment('d2', 'failed'));
    expect(merged?.map((d) => [d.id, d.status])).toEqual([
      ['d2', 'failed'],
      ['d1', 'live'],
    ]);
    expect(merged?.[0]?.buildLogs).toBe('x');
  });

  it('when the deployment is new, then it goes first', () => {
    expect(mergeDeployment([deployment('d1', 'live')], deployment('d2', 'pending'))?.map((d) => d.id)).toEqual([
      'd2',
      'd1',
    ]);
  });

  it('when the list was never loaded, then it stays unloaded', () => {
    expect(mergeDeployment(undefined, deployment('d1', 'live'))).toBeUndefined();
  });
});
