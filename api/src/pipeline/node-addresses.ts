/**
 * The cluster's node addresses, which tenant pods may not reach (templates/namespace.yaml,
 * RenderSettings.nodeAddresses): an informer on Nodes reports them whenever they change.
 */
import { CoreV1Api, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { GitopsStateSink } from '../state-repo/gitops-state-sink.js';
import { Informer } from './watcher.js';

/** The InternalIP and ExternalIP addresses of `nodes`, sorted, each once. */
export function nodeAddresses(nodes: readonly V1Node[]): string[] {
  const addresses = nodes.flatMap((node) =>
    (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address),
  );
  return [...new Set(addresses)].sort();
}

/**
 * Watches the Nodes and calls `changed` with their addresses after the first list and
 * whenever they differ from the last ones reported. `start()` resolves once the first
 * list succeeded (and was reported) or failed (the informer then retries with backoff).
 */
export class NodeAddressWatch {
  private readonly nodes: Informer<V1Node>;
  private reported: string | undefined;

  constructor(options: { kube: KubeConfig; logger: Logger; changed: (addresses: string[]) => void; backoffMs?: number }) {
    const core = options.kube.makeApiClient(CoreV1Api);
    const report = () => {
      if (!this.nodes.synced) return;
      const addresses = nodeAddresses(this.nodes.list());
      const key = addresses.join(',');
      if (key === this.reported) return;
      this.reported = key;
      options.changed(addresses);
    };
    this.nodes = new Informer<V1Node>({
      name: 'nodes',
      path: '/api/v1/nodes',
      kube: options.kube,
      list: () => core.listNode(),
      logger: options.logger,
      ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
      changed: report,
      listed: report,
    });
  }

  start(): Promise<void> {
    return this.nodes.start();
  }

  stop(): Promise<void> {
    return this.nodes.stop();
  }
}

/**
 * Keeps `sink`'s node addresses current. Resolves after the first list, so a render that
 * follows already denies the nodes (a controller's first reconcile never drops them).
 */
export async function watchNodeAddresses(kube: KubeConfig, sink: Pick<GitopsStateSink, 'nodeAddressesChanged'>, logger: Logger): Promise<NodeAddressWatch> {
  const watch = new NodeAddressWatch({
    kube,
    logger,
    changed: (addresses) => {
      sink.nodeAddressesChanged(addresses).catch((error: unknown) => logger.warn({ err: error, addresses }, 'could not render the nodes\' addresses'));
    },
  });
  await watch.start();
  return watch;
}
