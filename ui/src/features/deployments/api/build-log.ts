import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { appendLogChunk, stripAnsi } from '../../../lib/log-text';
import { queryKeys } from '../../../lib/query-keys';
import type { SseStatus } from '../../../lib/sse/sse-client';
import { useSse } from '../../../lib/sse/use-sse';
import { isInProgress } from '../../../lib/status';
import type { DeploymentView } from './deployments';

export interface BuildLog {
  text: string;
  /** `stream`: lines arrive live; `polling`: no stream on this server, the stored log is re-read; `stored`: finished. */
  mode: 'stream' | 'polling' | 'stored';
  streamStatus: SseStatus;
}

/**
 * The build log of a deployment: streamed live from
 * `/api/deployments/:id/logs/stream` while it builds (the stream replays from
 * the start and resumes with Last-Event-ID after a drop), else the log stored
 * with the deployment. Without a stream endpoint it re-reads the stored log.
 */
export function useBuildLog(deployment: DeploymentView): BuildLog {
  const client = useQueryClient();
  const running = isInProgress(deployment.status);
  const [streamed, setStreamed] = useState('');
  const [ended, setEnded] = useState(false);

  useEffect(() => {
    setStreamed('');
    setEnded(false);
  }, [deployment.id]);

  const url = running && !ended ? `/api/deployments/${encodeURIComponent(deployment.id)}/logs/stream` : null;
  const streamStatus = useSse(url, (event) => {
    if (event.type === 'log') setStreamed((text) => appendLogChunk(text, event.data));
    if (event.type === 'end') {
      setEnded(true);
      void client.invalidateQueries({ queryKey: queryKeys.deployment(deployment.id) });
    }
  });

  const polling = running && (streamStatus === 'unavailable' || streamStatus === 'reconnecting');
  useEffect(() => {
    if (!polling) return undefined;
    const timer = setInterval(
      () => void client.invalidateQueries({ queryKey: queryKeys.deployment(deployment.id) }),
      3000,
    );
    return () => clearInterval(timer);
  }, [polling, client, deployment.id]);

  const stored = stripAnsi(deployment.buildLogs ?? '');
  // Whichever knows more: the stream while it runs, the stored copy once the row has caught up.
  const text = streamed.length > stored.length ? streamed : stored;
  const mode = !running ? 'stored' : streamStatus === 'open' ? 'stream' : polling ? 'polling' : 'stream';
  return { text, mode, streamStatus };
}
