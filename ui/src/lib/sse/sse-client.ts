import { SseParser, reconnectDelay, type SseEvent } from './sse-parser';

/** Where a live connection stands, for the UI to say so. */
export type SseStatus =
  /** First attempt under way. */
  | 'connecting'
  | 'open'
  /** Lost; trying again by itself after a back-off. */
  | 'reconnecting'
  /** The endpoint answered 404/405/501: not built yet (or not on this server). Retried slowly. */
  | 'unavailable'
  /** The session is gone (401). */
  | 'unauthorized'
  | 'closed';

export interface SseOptions {
  url: string;
  onEvent: (event: SseEvent) => void;
  onStatus?: (status: SseStatus) => void;
  /** Resume from this id (sent as Last-Event-ID). */
  lastEventId?: string;
  /** How long to wait before asking an unavailable endpoint again. */
  unavailableRetryMs?: number;
}

/**
 * Keeps one SSE stream open until `close()` is called: reconnects by itself
 * with back-off after any drop, resuming with Last-Event-ID, and keeps asking
 * (slowly) an endpoint that is not there yet, so that a page opened before the
 * api gained it starts streaming without a refresh.
 */
export function openSse(options: SseOptions): { close: () => void } {
  const controller = new AbortController();
  // A function, not the property: TypeScript would narrow `signal.aborted` to false after the loop test.
  const stopped = () => controller.signal.aborted;
  let lastEventId = options.lastEventId ?? '';
  let attempt = 0;
  let everOpened = false;

  const setStatus = (status: SseStatus) => {
    if (!stopped() || status === 'closed') options.onStatus?.(status);
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      controller.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const run = async () => {
    setStatus('connecting');
    while (!stopped()) {
      let retryAdvice: number | undefined;
      try {
        const response = await fetch(options.url, {
          credentials: 'same-origin',
          headers: {
            Accept: 'text/event-stream',
            ...(lastEventId ? { 'Last-Event-ID': lastEventId } : {}),
          },
          cache: 'no-store',
          signal: controller.signal,
        });
        if (response.status === 401) {
          setStatus('unauthorized');
          await sleep(options.unavailableRetryMs ?? 30_000);
          continue;
        }
        if ([404, 405, 501].includes(response.status)) {
          setStatus('unavailable');
          await sleep(options.unavailableRetryMs ?? 30_000);
          continue;
        }
        if (!response.ok || !response.body) throw new Error(`SSE ${options.url}: HTTP ${response.status}`);
        setStatus('open');
        everOpened = true;
        attempt = 0;
        const parser = new SseParser(lastEventId);
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const event of parser.push(value)) {
            lastEventId = event.lastEventId;
            if (!stopped()) options.onEvent(event);
          }
        }
        lastEventId = parser.lastEventId;
        retryAdvice = parser.retryMs;
      } catch {
        // A network drop or an api restart: fall through to the back-off below.
      }
      if (stopped()) break;
      setStatus(everOpened ? 'reconnecting' : 'connecting');
      await sleep(retryAdvice ?? reconnectDelay(attempt));
      attempt += 1;
    }
    setStatus('closed');
  };

  void run();
  return { close: () => controller.abort() };
}
