import { appendLogChunk, isNearBottom, stripAnsi } from './log-text';

describe('auto-scroll', () => {
  it.each([
    [{ scrollTop: 600, scrollHeight: 1000, clientHeight: 400 }, true],
    [{ scrollTop: 580, scrollHeight: 1000, clientHeight: 400 }, true],
    [{ scrollTop: 500, scrollHeight: 1000, clientHeight: 400 }, false],
    [{ scrollTop: 0, scrollHeight: 300, clientHeight: 400 }, true],
  ])('when the view is %j, then following is %s', (el, expected) => {
    expect(isNearBottom(el)).toBe(expected);
  });
});

describe('log text', () => {
  it('when a line has colour codes, then they are removed', () => {
    expect(stripAnsi('\u001b[32mINFO\u001b[0m[0001] Step 1/3 \u001b]0;title\u0007done')).toBe('INFO[0001] Step 1/3 done');
  });

  it('when chunks arrive with and without a final newline, then each ends a line', () => {
    expect(appendLogChunk(appendLogChunk('', 'one'), 'two\r\nthree\n')).toBe('one\ntwo\nthree\n');
  });
});
