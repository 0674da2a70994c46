import { useCluster } from './use-cluster';

/** On every signed-in page while no cluster is connected: what that means and what to do. */
export function NoClusterBanner() {
  const cluster = useCluster();
  if (cluster.connected) return null;
  return (
    <div role="region" aria-label="No cluster" className="border-b border-warn/50 bg-warn-bg">
      <div className="mx-auto flex max-w-6xl flex-wrap items-baseline gap-x-2 gap-y-1 px-4 py-2 text-sm">
        <span className="font-semibold text-fg">No cluster connected.</span>{' '}
        <span className="text-muted">{cluster.reason}</span>
      </div>
    </div>
  );
}
