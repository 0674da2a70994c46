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
import { DEPLOYMENT_LABEL } from '@dangus/gitops-writer/labels';
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

/** A service's app pods, as a cache holds them (read on every rescan of a log stream). */
export interface AppPodSource {
  /** False until the cache has listed once. */
  synced(): boolean;
  appPods(namespace: string, service: string): V1Pod[];
}

export interface WatcherOptions {
  kube: KubeConfig;
  logger: Logger;
  /** A labelled object changed: the deployment id of its `dangus.cloud/deployment` label. */
  onChange: (deploymentId: string) => void;
  /** An informer (re)listed: everything may have changed while it was away. */
  onResync: () => void;
  /** First restart delay after an error; doubles up to 30 s. */
  backoffMs?: number;
}

const MAX_BACKOFF_MS = 30_000;

/**
 * Label-selected informers on Jobs, Pods and Deployments (docs/architecture.md#status):
 * each event names a deployment row for the pipeline to reconcile. The client's
 * ListWatch resumes a watch that ended or went quiet (its inactivity timeout) from
 * the last resourceVersion, and re-lists after a 410; an error it gives up on (the
 * apiserver unreachable, a refused list) restarts it here with backoff. Every list
 * asks for a full resync, so the pipeline is level-triggered.
 */
export class ClusterWatcher implements ClusterView, AppPodSource {
  private readonly jobs: Informer<V1Job>;
  private readonly pods_: Informer<V1Pod>;
  private readonly deployments: Informer<V1Deployment>;

  constructor(private readonly options: WatcherOptions) {
    const batch = options.kube.makeApiClient(BatchV1Api);
    const core = options.kube.makeApiClient(CoreV1Api);
    const apps = options.kube.makeApiClient(AppsV1Api);
    const labelSelector = DEPLOYMENT_LABEL;
    const common = {
      kube: options.kube,
      labelSelector,
      logger: options.logger,
      ...(options.backoffMs === undefined ? {} : { backoffMs: options.backoffMs }),
      changed: (object: KubernetesObject) => {
        const id = object.metadata?.labels?.[DEPLOYMENT_LABEL];
        if (id) options.onChange(id);
      },
      listed: options.onResync,
    };
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
    for (const informer of this.all()) void informer.start();
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

  /** Every release's app pods of service `service` (every app pod carries a deployment label). */
  appPods(namespace: string, service: string): V1Pod[] {
    return this.pods_.list(namespace).filter((pod) => pod.metadata?.labels?.['app.kubernetes.io/name'] === service && pod.metadata.labels['dangus.cloud/role'] === 'app');
  }

  /** Per informer: listed yet, restarts so far (for the system view and tests). */
  status(): Record<string, { synced: boolean; restarts: number }> {
    return Object.fromEntries(this.all().map((informer) => [informer.name, { synced: informer.synced, restarts: informer.restarts }]));
  }

  private all(): Informer<KubernetesObject>[] {
    return [this.jobs, this.pods_, this.deployments] as Informer<KubernetesObject>[];
  }
}

/** One ListWatch, started again with backoff after an error it gives up on. */
export class Informer<T extends KubernetesObject> {
  synced = false;
  restarts = 0;
  private readonly cache: ListWatch<T>;
  /** Lists that succeeded so far: tells whether a start listed. */
  private lists = 0;
  private stopped = true;
  private backoff: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: {
      name: string;
      path: string;
      kube: KubeConfig;
      labelSelector?: string;
      list: () => Promise<KubernetesListObject<T>>;
      logger: Logger;
      /** First restart delay after an error; doubles up to 30 s. */
      backoffMs?: number;
      /** An object was added, changed or deleted. */
      changed: (object: T) => void;
      /** The informer (re)listed: everything may have changed while it was away. */
      listed: () => void;
    },
  ) {
    this.backoff = spec.backoffMs ?? 500;
    const list = async () => {
      const result = await spec.list();
      this.lists += 1;
      return result;
    };
    this.cache = new ListWatch<T>(spec.path, new Watch(spec.kube), list, false, spec.labelSelector);
    const changed = (object: T) => {
      this.backoff = spec.backoffMs ?? 500;
      spec.changed(object);
    };
    this.cache.on('add', changed);
    this.cache.on('update', changed);
    this.cache.on('delete', changed);
    this.cache.on('error', (error: unknown) => this.failed(error));
  }

  get name(): string {
    return this.spec.name;
  }

  /** Resolves once the first list and watch succeeded or failed (then it retries on its own). */
  start(): Promise<void> {
    this.stopped = false;
    return this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.cache.stop();
  }

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(name, namespace);
  }

  /** The objects of `namespace`, or all of them. */
  list(namespace?: string): T[] {
    return [...this.cache.list(namespace)];
  }

  private async run(): Promise<void> {
    const listsBefore = this.lists;
    try {
      // Resolves once it has listed (when it had to) and opened its watch; a failure
      // of either arrives as an 'error' event instead.
      await this.cache.start();
    } catch (error) {
      this.failed(error);
      return;
    }
    if (this.stopped || this.lists === listsBefore) return;
    // Objects stay readable across a restart: the cache keeps them, and a re-list
    // reports what went (delete) and what changed (add/update) while it was away.
    this.synced = true;
    this.backoff = this.spec.backoffMs ?? 500;
    this.spec.listed();
  }

  private failed(error: unknown): void {
    if (this.stopped) return; // stop() aborts the watch, which reports as an error
    this.spec.logger.warn({ informer: this.name, err: error }, 'informer failed: restarting it');
    this.restarts += 1;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (!this.stopped) void this.run();
    }, this.backoff);
    this.timer.unref();
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
  }
}
