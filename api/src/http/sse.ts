import type { Request, Response } from 'express';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/**
 * Turns the response into a text/event-stream: headers that defeat proxy
 * buffering, a comment every 15 s so idle streams survive, and a `send` that
 * frames multi-line data (each line its own `data:` field; CR and CRLF become
 * LF, since SSE would split on them anyway).
 */
export function openSse(req: Request, res: Response): {
  send: (message: SseMessage) => void;
  /** Ends the stream; with `retryMs`, tells the browser to reconnect that soon (a graceful stop: another replica answers). */
  close: (retryMs?: number) => void;
  signal: AbortSignal;
} {
  res.status(200).set({
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.flushHeaders();
  res.write('retry: 3000\n\n');
  const abort = new AbortController();
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  heartbeat.unref();
  const close = (retryMs?: number) => {
    clearInterval(heartbeat);
    if (retryMs !== undefined && !res.writableEnded) res.write(`retry: ${String(retryMs)}\n\n`);
    if (!abort.signal.aborted) abort.abort();
    if (!res.writableEnded) res.end();
  };
  req.on('close', () => close());
  return {
    signal: abort.signal,
    close,
    send: (message) => {
      if (res.writableEnded) return;
      const lines = message.data.replace(/\r\n?/g, '\n').split('\n');
      const id = message.id === undefined ? '' : `id: ${message.id}\n`;
      res.write(`event: ${message.event}\n${id}${lines.map((line) => `data: ${line}`).join('\n')}\n\n`);
    },
  };
}
