import { SseParser, reconnectDelay } from './sse-parser';

describe('SseParser', () => {
  it('when an event is complete, then it is dispatched with its type, data and id', () => {
    const parser = new SseParser();
    expect(parser.push('event: deployment\nid: 7\ndata: {"a":1}\n\n')).toEqual([
      { type: 'deployment', data: '{"a":1}', lastEventId: '7' },
    ]);
  });

  it('when chunks split lines anywhere, then the events are the same', () => {
    const stream = 'event: log\r\ndata: line one\r\ndata: line two\r\nid: 3\r\n\r\n: ping\r\n\r\ndata: x\r\n\r\n';
    const whole = new SseParser().push(stream);
    const parser = new SseParser();
    const pieces = Array.from({ length: stream.length }, (_, i) => stream.charAt(i)).flatMap((ch) => parser.push(ch));
    expect(pieces).toEqual(whole);
    expect(whole).toEqual([
      { type: 'log', data: 'line one\nline two', lastEventId: '3' },
      { type: 'message', data: 'x', lastEventId: '3' },
    ]);
  });

  it('when a block has no data, then nothing is dispatched but its id is kept', () => {
    const parser = new SseParser();
    expect(parser.push('id: 9\n\n: comment\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('9');
  });

  it('when the server advises retry, then it is remembered', () => {
    const parser = new SseParser();
    parser.push('retry: 2500\n\n');
    expect(parser.retryMs).toBe(2500);
  });

  it('when the stream is resumed, then events carry the given last id until a new one', () => {
    const parser = new SseParser('41');
    expect(parser.push('data: a\n\n')).toEqual([{ type: 'message', data: 'a', lastEventId: '41' }]);
  });

  it('when "data" has no colon, then it is an empty data line', () => {
    expect(new SseParser().push('data\n\n')).toEqual([{ type: 'message', data: '', lastEventId: '' }]);
  });
});

describe('reconnectDelay', () => {
  it.each([
    [0, 1000],
    [1, 2000],
    [4, 16_000],
    [5, 30_000],
    [20, 30_000],
  ])('when attempt %d and no jitter, then %d ms', (attempt, expected) => {
    expect(reconnectDelay(attempt, 1000, 30_000, () => 0)).toBe(expected);
  });

  it('when jitter is at its most, then the delay is 20 % shorter', () => {
    expect(reconnectDelay(0, 1000, 30_000, () => 1)).toBe(800);
  });
});
