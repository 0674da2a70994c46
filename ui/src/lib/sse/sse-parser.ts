/** One event of a `text/event-stream`, as the HTML spec's parser dispatches it. */
export interface SseEvent {
  /** `message` when the stream gave no `event:` field. */
  type: string;
  data: string;
  /** The stream's last event id at dispatch time (what a reconnect sends as Last-Event-ID). */
  lastEventId: string;
}

/**
 * An incremental `text/event-stream` parser (WHATWG HTML, "Parsing an event
 * stream"). We read SSE with fetch rather than EventSource because EventSource
 * gives up for good on a 404 or 5xx and cannot send Last-Event-ID on a
 * reconnect we start ourselves; this parser is its pure half.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private pendingCR = false;
  lastEventId: string;
  /** The server's `retry:` advice in ms, if it gave one. */
  retryMs: number | undefined;

  constructor(lastEventId = '') {
    this.lastEventId = lastEventId;
  }

  /** Feeds decoded text; returns every event completed by it. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    // A "\r\n" split across two chunks: the "\n" belongs to the line already ended.
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      const line = this.buffer.slice(0, match.index);
      const end = match.index + match[0].length;
      if (match[0] === '\r' && end === this.buffer.length) this.pendingCR = true;
      this.buffer = this.buffer.slice(end);
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\u0000')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;
    }
    return undefined;
  }

  private dispatch(): SseEvent | undefined {
    const hadData = this.data.length > 0;
    const event: SseEvent = {
      type: this.eventType || 'message',
      data: this.data.join('\n'),
      lastEventId: this.lastEventId,
    };
    this.data = [];
    this.eventType = '';
    return hadData ? event : undefined;
  }
}

/**
 * How long to wait before reconnect attempt number `attempt` (0-based):
 * doubling from `baseMs`, capped at `maxMs`, with up to 20 % random jitter so
 * that many tabs do not reconnect in step after an api restart.
 */
export function reconnectDelay(
  attempt: number,
  baseMs = 1000,
  maxMs = 30_000,
  random: () => number = Math.random,
): number {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(raw * (1 - 0.2 * random()));
}
