import { useEffect, useRef, useState } from 'react';
import { openSse, type SseStatus } from './sse-client';
import type { SseEvent } from './sse-parser';

/**
 * Subscribes to an SSE endpoint while the component is mounted (or `url` is
 * non-null); reconnects by itself. `onEvent` may change every render.
 */
export function useSse(url: string | null, onEvent: (event: SseEvent) => void): SseStatus {
  const [status, setStatus] = useState<SseStatus>('connecting');
  const handler = useRef(onEvent);
  useEffect(() => {
    handler.current = onEvent;
  });

  useEffect(() => {
    if (url === null) {
      setStatus('closed');
      return undefined;
    }
    const connection = openSse({
      url,
      onEvent: (event) => handler.current(event),
      onStatus: setStatus,
    });
    return () => connection.close();
  }, [url]);

  return status;
}
