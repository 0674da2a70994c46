/**
 * A running service's logs, read through the Kubernetes API (`pods/log`, never from nodes):
 * every pod of the service's Deployment, followed; pods that start later join (the pod list
 * is looked at again every few seconds: the pipeline's pod informer when there is one, so
 * open streams cost no list calls, else a list); a container that restarts continues from its last
 * line's timestamp. Lines carry pod, container and the kubelet's timestamp, and the
 * service's env values are masked as in build logs.
 */
import { Writable } from 'node:stream';
import { CoreV1Api, Log, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { followPodLog } from '../pipeline/build-logs.js';
import { Redactor } from '../pipeline/redact.js';
import type { AppPodSource } from '../pipeline/watcher.js';

export interface RuntimeLogLine {
  pod: string;
  container: string;
  /** RFC 3339 with nanoseconds, as the kubelet stamps it. */
  timestamp: string;
  line: string;
}

export interface RuntimeLogRequest {
  namespace: string;
  service: string;
  /** Lines of each container's log to start with. */
  tail: number;
  /** Only lines from this time on (RFC 3339). */
  since: string | null;
  /** The last crashed container's log instead, once (no follow). */
  previous: boolean;
  /** Values masked in every line. */
  secrets: string[];
}

const CONTAINER = 'app';
const RESCAN_MS = 2_000;
/** A follow's lines are cut to this length (a log without newlines must not grow a string without bound). */
const LINE_MAX = 16 * 1024;

export class RuntimeLogs {
  private readonly core: CoreV1Api;
  private readonly log: Log;

  constructor(
    kube: KubeConfig,
    private readonly logger: Logger,
    private readonly rescanMs = RESCAN_MS,
    private readonly source?: AppPodSource,
  ) {
    this.core = kube.makeApiClient(CoreV1Api);
    this.log = new Log(kube);
  }

  /** Sends lines until `signal` aborts (or, with `previous`, until every pod's last run was read). */
  async stream(request: RuntimeLogRequest, send: (line: RuntimeLogLine) => void, signal: AbortSignal): Promise<void> {
    const redactor = new Redactor(request.secrets);
    const emit = (pod: string, raw: string): string | null => {
      const space = raw.indexOf(' ');
      const stamped = space > 0 && /^\d{4}-\d\d-\d\dT/.test(raw) ? raw.slice(0, space) : null;
      const text = (stamped ? raw.slice(space + 1) : raw).slice(0, LINE_MAX);
      const timestamp = stamped ?? new Date().toISOString();
      send({ pod, container: CONTAINER, timestamp, line: redactor.redact(text) });
      return timestamp;
    };

    if (request.previous) {
      for (const pod of await this.pods(request)) {
        const name = pod.metadata?.name ?? '';
        if (!pod.status?.containerStatuses?.some((c) => c.name === CONTAINER && c.lastState?.terminated)) continue;
        const text = await this.core
          .readNamespacedPodLog({
            namespace: request.namespace, name, container: CONTAINER, previous: true, timestamps: true, tailLines: request.tail,
          })
          .catch(() => '');
        for (const raw of text.split('\n')) if (raw !== '') emit(name, raw);
      }
      return;
    }

    /** Per pod: the follow running, and the last timestamp sent (where a restart continues). */
    const followed = new Map<string, { running: boolean; last: string | null; started: boolean }>();
    const follow = async (pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      const state = followed.get(name) ?? { running: false, last: null, started: false };
      followed.set(name, state);
      if (state.running || signal.aborted) return;
      const status = pod.status?.containerStatuses?.find((c) => c.name === CONTAINER);
      if (!status?.state?.running && !status?.state?.terminated) return; // nothing to read yet
      state.running = true;
      let buffer = '';
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          buffer += chunk.toString('utf8');
          let cut: number;
          while ((cut = buffer.indexOf('\n')) !== -1) {
            const raw = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 1);
            // After a restart the follow starts at the last second sent: skip what was sent.
            const stamp = raw.slice(0, Math.max(0, raw.indexOf(' ')));
            if (state.last !== null && stamp !== '' && comparable(stamp) <= comparable(state.last)) continue;
            const sent = emit(name, raw);
            if (sent) state.last = sent;
          }
          if (buffer.length > LINE_MAX) {
            state.last = emit(name, buffer);
            buffer = '';
          }
          callback();
        },
      });
      try {
        await followPodLog(this.log, { namespace: request.namespace, pod: name, container: CONTAINER }, sink, signal, {
          follow: true,
          timestamps: true,
          ...(state.last !== null
            ? { sinceTime: state.last }
            : request.since !== null
              ? { sinceTime: request.since }
              : { tailLines: request.tail }),
        });
      } catch (error) {
        this.logger.debug({ pod: name, err: error }, 'runtime log follow ended');
      } finally {
        state.running = false;
      }
    };

    while (!signal.aborted) {
      try {
        for (const pod of await this.pods(request)) void follow(pod);
      } catch (error) {
        this.logger.warn({ namespace: request.namespace, err: error }, 'could not list the service pods');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.rescanMs);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        }, { once: true });
      });
    }
  }

  private async pods(request: RuntimeLogRequest): Promise<V1Pod[]> {
    if (this.source?.synced()) return this.source.appPods(request.namespace, request.service).filter((pod) => !pod.metadata?.deletionTimestamp);
    const list = await this.core.listNamespacedPod({
      namespace: request.namespace,
      labelSelector: `app.kubernetes.io/name=${request.service},dangus.cloud/role=app`,
    });
    return list.items.filter((pod) => !pod.metadata?.deletionTimestamp);
  }
}

/** An RFC 3339 timestamp whose string order is its time order (nine fraction digits). */
function comparable(timestamp: string): string {
  const match = /^(.*?)(?:\.(\d+))?Z$/.exec(timestamp);
  return match ? `${match[1] ?? ''}.${(match[2] ?? '').padEnd(9, '0')}Z` : timestamp;
}
