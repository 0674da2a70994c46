import { Alert } from '../../components/ui';
import { useCluster } from './use-cluster';

/** In place of a view that reads the cluster (logs, events, usage): why it is not there. */
export function NeedsCluster({ what }: { what: string }) {
  const cluster = useCluster();
  return (
    <Alert tone="info" title={`${what} need a cluster`}>
      {cluster.reason ?? 'No cluster is connected.'}
    </Alert>
  );
}
