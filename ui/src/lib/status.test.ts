import { countStatuses, isInProgress, statusLook, summarizeCounts } from './status';

describe('statusLook', () => {
  it.each([
    ['live', 'ok', 'Live'],
    ['building', 'warn', 'Building'],
    ['deploying', 'warn', 'Deploying'],
    ['failed', 'bad', 'Failed'],
    ['pending', 'idle', 'Pending'],
    [null, 'idle', 'Not deployed'],
  ] as const)('when %s, then the tone is %s and the word is %s', (status, tone, label) => {
    expect(statusLook(status)).toMatchObject({ tone, label });
  });

  it('when a deployment is pending, building or deploying, then it is in progress', () => {
    expect(['pending', 'building', 'deploying'].every((s) => isInProgress(s as 'pending'))).toBe(true);
    expect(isInProgress('live')).toBe(false);
    expect(isInProgress('failed')).toBe(false);
    expect(isInProgress(null)).toBe(false);
  });
});

describe('status summary of a project', () => {
  it('when services are in every state, then building and deploying count together', () => {
    const counts = countStatuses(['live', 'live', 'building', 'deploying', 'failed', null, 'pending']);
    expect(summarizeCounts(counts)).toEqual([
      { tone: 'ok', label: '2 live' },
      { tone: 'warn', label: '2 building' },
      { tone: 'bad', label: '1 failed' },
      { tone: 'idle', label: '2 pending' },
    ]);
  });

  it('when there are no services, then the summary is empty', () => {
    expect(summarizeCounts(countStatuses([]))).toEqual([]);
  });
});
