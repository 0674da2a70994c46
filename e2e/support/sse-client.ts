/**
 * A browser's EventSource, as far as the tests need it: follows a text/event-stream,
 * and when the connection ends or fails before an `end` event, reconnects after the
 * server's `retry` hint with `Last-Event-ID` set to the last id it saw. The `log`
 * events' data is concatenated into `text()`.
 */
export interface SseFollower {
  /** Every `log` event's data, in order (each event's data is one piece of the log). */
  text(): string;
  /** Every event received: its name, id and data. */
  events(): { event: string; id: string | undefined; data: string }[];
  /** Whether the stream sent `end`. */
  ended(): boolean;
  reconnects(): number;
  close(): void;
}

export function followSse(url: string, headers: Record<string, string>): SseFollower {
  let text = '';
  const events: { event: string; id: string | undefined; data: string }[] = [];
  let lastId: string | undefined;
  let retryMs = 1_000;
  const state = { ended: false, closed: false };
  const finished = () => state.closed || state.ended;
  let reconnects = 0;
  let abort = new AbortController();

  const connect = async (): Promise<void> => {
    for (;;) {
      if (finished()) return;
      abort = new AbortController();
      try {
        const res = await fetch(url, { headers: { ...headers, ...(lastId === undefined ? {} : { 'Last-Event-ID': lastId }) }, signal: abort.signal });
        if (res.ok && res.body) {
          const decoder = new TextDecoder();
          let buffer = '';
          let event = 'message';
          let id: string | undefined;
          let data: string[] = [];
          for await (const chunk of res.body) {
            buffer += decoder.decode(chunk as Uint8Array, { stream: true });
            let newline: number;
            while ((newline = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, newline);
              buffer = buffer.slice(newline + 1);
              if (line === '') {
                if (data.length > 0) {
                  const message = { event, id, data: data.join('\n') };
                  events.push(message);
                  if (id !== undefined) lastId = id;
                  if (event === 'log') text += message.data;
                  if (event === 'end') state.ended = true;
                }
                event = 'message';
                id = undefined;
                data = [];
              } else if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
              else if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('id:')) id = line.slice(3).trim();
              else if (line.startsWith('retry:')) retryMs = Number(line.slice(6).trim()) || retryMs;
            }
          }
        }
      } catch {
        // A dropped connection: reconnect below.
      }
      if (finished()) return;
      reconnects += 1;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  };
  void connect();
  return {
    text: () => text,
    events: () => events,
    ended: () => state.ended,
    reconnects: () => reconnects,
    close() {
      state.closed = true;
      abort.abort();
    },
  };
}
