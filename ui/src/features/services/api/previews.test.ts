import type { PreviewLogDto } from '@dangus/common';
import { followLog } from './previews';

const page = (headSha: string, from: number, log: string, length: number): PreviewLogDto => ({ number: 7, headSha, from, log, length, complete: false, startedAt: '2026-12-07T20:00:00Z' });

describe('followLog', () => {
  it('takes a first read as it is', () => {
    expect(followLog(null, page('a', 0, 'one\n', 4))).toEqual(page('a', 0, 'one\n', 4));
  });
  it('appends what the same build added since', () => {
    expect(followLog(page('a', 0, 'one\n', 4), page('a', 4, 'two ✓\n', 10))).toEqual(page('a', 0, 'one\ntwo ✓\n', 10));
    expect(followLog(page('a', 0, 'one\n', 4), page('a', 4, '', 4))).toEqual(page('a', 0, 'one\n', 4));
  });
  it('asks for the whole log again when a newer build took the page or the log shrank', () => {
    expect(followLog(page('a', 0, 'one\n', 4), page('b', 4, 'x', 5))).toBeNull();
    expect(followLog(page('a', 0, 'one\ntwo\n', 8), page('a', 8, '', 2))).toBeNull();
  });
});
