import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Deployment,
  type V1Job,
  type V1Pod,
} from '@kubernetes/client-node';
import { DEPLOYMENT_LABEL } from '@dangus/gitops-writer';
import type { Logger } from 'pino';

/** What the pipeline reads of the cluster: the informers' caches. */
export interface ClusterView {
  /** False until every informer has listed once: before that, absence means nothing. */
  synced(): boolean;
  job(namespace: string, name: string): V1Job | undefined;
  deployment(namespace: string, name: string): V1Deployment | undefined;
  /** Pods labelled with this deployment id (build pods and app pods alike). */
  pods(namespace: string, deploymentId: string): V1Pod[];
}

export interface WatcherOptions {
  kube: KubeConfig;
  logger: Logger;
  /** A labelled object changed: the deployment id of its `dangus.cloud/deployment` label. */
  onChange: (deploymentId: string) => void;
  /** An informer (re)listed: everything may have changed while it was away. */
  onResync: () => void;
  /** Restart an informer that has heard nothing for this long (default 5 min). */
  silenceMs?: number;
  /** First restart delay after an error; doubles up to 30 s. */
  backoffMs?: number;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Label-selected informers on Jobs, Pods and Deployments (DESIGN.md "Status"):
 * each event names a deployment row for the pipeline to reconcile. An informer
 * that errors is restarted with backoff, and one that has gone silent is
 * restarted by a watchdog; every restart re-lists and asks for a full resync,
 * so the pipeline is level-triggered and misses nothing for long.
 */
export class ClusterWatcher implements ClusterView {
  private readonly jobs: Informer<V1Job>;
  private readonly pods_: Informer<V1Pod>;
  private readonly deployments: Informer<V1Deployment>;

  constructor(private readonly options: WatcherOptions) {
    const batch = options.kube.makeApiClient(BatchV1Api);
    const core = options.kube.makeApiClient(CoreV1Api);
    const apps = options.kube.makeApiClient(AppsV1Api);
    const labelSelector = DEPLOYMENT_LABEL;
    const common = { kube: options.kube, labelSelector, watcher: options };
    this.jobs = new Informer<V1Job>({
      ...common,
      name: 'jobs',
      path: '/apis/batch/v1/jobs',
      list: () => batch.listJobForAllNamespaces({ labelSelector }),
    });
    this.pods_ = new Informer<V1Pod>({
      ...common,
      name: 'pods',
      path: '/api/v1/pods',
      list: () => core.listPodForAllNamespaces({ labelSelector }),
    });
    this.deployments = new Informer<V1Deployment>({
      ...common,
      name: 'deployments',
      path: '/apis/apps/v1/deployments',
      list: () => apps.listDeploymentForAllNamespaces({ labelSelector }),
    });
  }

  start(): void {
    for (const informer of this.all()) informer.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.all().map((informer) => informer.stop()));
  }

  synced(): boolean {
    return this.all().every((informer) => informer.synced);
  }

  job(namespace: string, name: string): V1Job | undefined {
    return this.jobs.get(namespace, name);
  }

  deployment(namespace: string, name: string): V1Deployment | undefined {
    return this.deployments.get(namespace, name);
  }

  pods(namespace: string, deploymentId: string): V1Pod[] {
    return this.pods_.list(namespace).filter((pod) => pod.metadata?.labels?.[DEPLOYMENT_LABEL] === deploymentId);
  }

  /** Per informer: listed yet, restarts so far (for the system view and tests). */
  status(): Record<string, { synced: boolean; restarts: number }> {
    return Object.fromEntries(this.all().map((informer) => [informer.name, { synced: informer.synced, restarts: informer.restarts }]));
  }

  private all(): Informer<KubernetesObject>[] {
    return [this.jobs, this.pods_, this.deployments] as Informer<KubernetesObject>[];
  }
}

/** One ListWatch, recreated (so re-listed) after an error or a silence. */
class Informer<T extends KubernetesObject> {
  synced = false;
  restarts = 0;
  /** The informer whose cache is read: the old one stays readable until its replacement has listed. */
  private current: ListWatch<T> | undefined;
  /** The informer being started. */
  private next: ListWatch<T> | undefined;
  /** Informers this one stopped: their late errors are not news. */
  private readonly retired = new WeakSet<ListWatch<T>>();
  private stopped = true;
  private backoff: number;
  private lastHeard = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: {
      name: string;
      path: string;
      kube: KubeConfig;
      labelSelector: string;
      list: () => Promise<KubernetesListObject<T>>;
      watcher: WatcherOptions;
    },
  ) {
    this.backoff = spec.watcher.backoffMs ?? 500;
  }

  get name(): string {
    return this.spec.name;
  }

  start(): void {
    this.stopped = false;
    const silenceMs = this.spec.watcher.silenceMs ?? 300_000;
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastHeard > silenceMs) {
        this.spec.watcher.logger.warn({ informer: this.name }, 'informer silent: restarting it');
        this.restart(0);
      }
    }, Math.min(silenceMs, 30_000));
    this.watchdog.unref();
    void this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    await Promise.all([this.current?.stop(), this.next?.stop()]);
  }

  get(namespace: string, name: string): T | undefined {
    return this.current?.get(name, namespace);
  }

  list(namespace: string): T[] {
    return [...(this.current?.list(namespace) ?? [])];
  }

  private async run(): Promise<void> {
    const { logger, onChange, onResync } = this.spec.watcher;
    const informer = new ListWatch<T>(this.spec.path, new Watch(this.spec.kube), this.spec.list, false, this.spec.labelSelector);
    this.next = informer;
    const live = () => !this.stopped && !this.retired.has(informer) && (this.next === informer || this.current === informer);
    const changed = (object: T) => {
      this.lastHeard = Date.now();
      const id = object.metadata?.labels?.[DEPLOYMENT_LABEL];
      if (id) onChange(id);
    };
    informer.on('add', changed);
    informer.on('update', changed);
    informer.on('delete', changed);
    informer.on('connect', () => {
      this.lastHeard = Date.now();
    });
    informer.on('error', (error: unknown) => {
      if (!live()) return;
      logger.warn({ informer: this.name, err: error }, 'informer failed: restarting it');
      this.restart(this.backoff);
      this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    });
    try {
      await informer.start();
    } catch (error) {
      // start() rejects when the watch request itself fails; the error event may not follow.
      if (live()) {
        logger.warn({ informer: this.name, err: error }, 'informer could not start: retrying');
        this.restart(this.backoff);
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
      }
      return;
    }
    if (!live()) return;
    const old = this.current;
    this.current = informer;
    this.next = undefined;
    if (old && old !== informer) this.retire(old);
    this.synced = true;
    this.lastHeard = Date.now();
    this.backoff = this.spec.watcher.backoffMs ?? 500;
    onResync();
  }

  private retire(informer: ListWatch<T>): void {
    this.retired.add(informer);
    void informer.stop();
  }

  private restart(delayMs: number): void {
    // The cache being read stays readable (stop() keeps its objects) until the new informer has listed.
    if (this.current) this.retire(this.current);
    if (this.next) this.retire(this.next);
    this.next = undefined;
    this.restarts += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.stopped) void this.run();
    }, delayMs);
    this.timer.unref();
  }
}
