/**
 * What the api reads from the cluster for a service's owner, beside the pipeline: runtime
 * logs, Events, CPU and memory, and the project's quota usage. One place wires them, for
 * the process and for the tests.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Certificates } from './certificates.js';
import { ProjectUsage } from './project-usage.js';
import { RuntimeLogs } from './runtime-logs.js';
import { ServiceEvents } from './service-events.js';
import { ServiceMetrics } from './service-metrics.js';
import type { AppPodSource } from '../pipeline/watcher.js';

export function clusterReaders(
  kube: KubeConfig,
  logger: Logger,
  options: { metricsSampleMs: number; logRescanMs?: number; pods?: AppPodSource | undefined },
) {
  return {
    runtimeLogs: new RuntimeLogs(kube, logger.child({ component: 'runtime-logs' }), options.logRescanMs, options.pods),
    serviceEvents: new ServiceEvents(kube),
    serviceMetrics: new ServiceMetrics(kube, logger.child({ component: 'metrics' }), { intervalMs: options.metricsSampleMs }),
    projectUsage: new ProjectUsage(kube),
    certificates: new Certificates(kube),
  };
}
