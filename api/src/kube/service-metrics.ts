/**
 * CPU and memory of running services, from the cluster's metrics API (`metrics.k8s.io`,
 * served by metrics-server; k3s ships it). The api samples only while someone watches: the
 * first look at a service samples at once and starts a timer; the timer samples every app
 * pod of the platform with one list call per interval, keeps an hour per watched service
 * in memory, and stops once nobody has looked for a minute. When the cluster does not
 * serve the API, the window says so in plain words instead of failing.
 */
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { PodMetricsDto } from '@dangus/common';
import { quantityValue } from '@dangus/gitops-writer/quantity';
import type { Logger } from 'pino';

/** Every app pod the platform runs (the label the templates put on them). */
const APP_PODS = 'dangus.cloud/role=app';
const SERVICE_LABEL = 'app.kubernetes.io/name';

export interface MetricsSample {
  /** When the api took the sample (ms since the epoch). */
  at: number;
  pods: PodMetricsDto[];
}

export interface MetricsWindow {
  available: boolean;
  reason: string | null;
  samples: MetricsSample[];
}

export interface ServiceMetricsOptions {
  /** Time between samples while someone watches. */
  intervalMs: number;
  /** How long a service's samples are kept. */
  keepMs?: number;
  /** How long after the last look sampling goes on. */
  watchMs?: number;
}

/** The part of a PodMetrics object (metrics.k8s.io/v1beta1) the platform reads. */
interface PodMetricsItem {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  containers?: { name?: string; usage?: { cpu?: string; memory?: string } }[];
}

/** A reason in plain words for a failed read of the metrics API, or null when it is not one of those. */
export function unavailableReason(error: unknown): string | null {
  const code = (error as { code?: number }).code;
  if (code === 404) {
    return 'This cluster does not serve the metrics API (metrics.k8s.io): install metrics-server (k3s ships it) to see CPU and memory.';
  }
  if (code === 503) return "The cluster's metrics API is registered but its server does not answer (metrics-server down or starting).";
  if (code === 403) return 'The platform may not read the metrics API: its role needs get and list on pods.metrics.k8s.io.';
  return null;
}

/** Millicores and bytes of a pod, summed over its containers. */
function figures(item: PodMetricsItem): { cpuMillicores: number; memoryBytes: number } {
  let cpu = 0;
  let memory = 0;
  for (const container of item.containers ?? []) {
    cpu += container.usage?.cpu ? quantityValue(container.usage.cpu) * 1000 : 0;
    memory += container.usage?.memory ? quantityValue(container.usage.memory) : 0;
  }
  return { cpuMillicores: Math.round(cpu * 1000) / 1000, memoryBytes: Math.round(memory) };
}

export class ServiceMetrics {
  private readonly api: CustomObjectsApi;
  private readonly keepMs: number;
  private readonly watchMs: number;
  /** Samples per `namespace/service`, oldest first. */
  private readonly series = new Map<string, MetricsSample[]>();
  /** When each `namespace/service` was last looked at. */
  private readonly watched = new Map<string, number>();
  private state: { available: boolean; reason: string | null } = { available: false, reason: 'No sample yet.' };
  private lastSampleAt = 0;
  private inFlight: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    kube: KubeConfig,
    private readonly logger: Logger,
    private readonly options: ServiceMetricsOptions,
  ) {
    this.api = kube.makeApiClient(CustomObjectsApi);
    this.keepMs = options.keepMs ?? 3_600_000;
    this.watchMs = options.watchMs ?? 60_000;
  }

  /** The service's last hour; marks it watched, and samples at once on a first look or when the last sample is stale. */
  async window(namespace: string, service: string): Promise<MetricsWindow> {
    const key = `${namespace}/${service}`;
    this.forgetUnwatched(Date.now());
    this.watched.set(key, Date.now());
    const first = !this.series.has(key);
    if (first) this.series.set(key, []);
    // A first look gets figures at once; later looks share the timer's samples.
    if (first || Date.now() - this.lastSampleAt >= this.options.intervalMs) await this.sample();
    this.timer ??= setInterval(() => {
      this.tick();
    }, this.options.intervalMs).unref();
    return { ...this.state, samples: [...(this.series.get(key) ?? [])] };
  }

  /**
   * One sample of every app pod of the platform (one list call), stored for the services
   * being watched; concurrent callers share it. Answers the number of pods read.
   */
  async sample(): Promise<number> {
    this.inFlight ??= this.read().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async read(): Promise<number> {
    const at = Date.now();
    this.lastSampleAt = at;
    let items: PodMetricsItem[];
    try {
      const list = (await this.api.listClusterCustomObject({
        group: 'metrics.k8s.io', version: 'v1beta1', plural: 'pods', labelSelector: APP_PODS,
      })) as { items?: PodMetricsItem[] };
      items = list.items ?? [];
    } catch (error) {
      const reason = unavailableReason(error);
      if (reason === null) this.logger.warn({ err: error }, 'could not read the metrics API');
      this.state = { available: false, reason: reason ?? 'The metrics API could not be read; the platform tries again at the next sample.' };
      return 0;
    }
    this.state = { available: true, reason: null };
    const byService = new Map<string, PodMetricsDto[]>();
    for (const item of items) {
      const key = `${item.metadata?.namespace ?? ''}/${item.metadata?.labels?.[SERVICE_LABEL] ?? ''}`;
      const samples = this.series.get(key);
      if (!samples) continue; // nobody watches it
      const pods = byService.get(key) ?? [];
      pods.push({ pod: item.metadata?.name ?? '', ...figures(item) });
      byService.set(key, pods);
    }
    for (const [key, samples] of this.series) {
      const pods = (byService.get(key) ?? []).sort((a, b) => a.pod.localeCompare(b.pod));
      samples.push({ at, pods });
      while (samples.length > 0 && (samples[0]?.at ?? at) < at - this.keepMs) samples.shift();
    }
    return items.length;
  }

  private forgetUnwatched(now: number): void {
    for (const [key, last] of this.watched) {
      if (last < now - this.keepMs) {
        this.watched.delete(key);
        this.series.delete(key);
      }
    }
  }

  /** A timer's turn: sample while anyone watched lately; forget services nobody looked at for the kept hour. */
  private tick(): void {
    const now = Date.now();
    this.forgetUnwatched(now);
    const anyone = [...this.watched.values()].some((last) => last >= now - this.watchMs);
    if (!anyone) {
      this.stop();
      return;
    }
    this.sample().catch((error: unknown) => this.logger.warn({ err: error }, 'metrics sample failed'));
  }
}
