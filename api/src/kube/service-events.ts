/**
 * The Kubernetes Events of one service, in plain words where the reason is known: those
 * of its Deployment, its ReplicaSets and their pods, its volume claim, and its build Jobs
 * and their pods. Read through the Kubernetes API from the service's namespace.
 */
import type { ServiceEventDto } from '@dangus/common';
import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';

export type ServiceEvent = ServiceEventDto;

const MAX_EVENTS = 100;

/** Whether an object of the namespace belongs to service `name` (by how Kubernetes names what it makes). */
export function belongsTo(name: string, kind: string | undefined, objectName: string | undefined): boolean {
  if (!objectName) return false;
  const rest = objectName.startsWith(`${name}-`) ? objectName.slice(name.length + 1) : null;
  switch (kind) {
    case 'Deployment':
      return objectName === name;
    case 'PersistentVolumeClaim':
      return objectName === `${name}-data`;
    case 'ReplicaSet':
      // {deployment}-{pod-template-hash}
      return rest !== null && /^[a-z0-9]{6,10}$/.test(rest);
    case 'Job':
      return rest !== null && /^build-[0-9a-f]{7}$/.test(rest);
    case 'Pod':
      // {replicaset}-{5}, or {job}-{5}
      return rest !== null && (/^[a-z0-9]{6,10}-[a-z0-9]{5}$/.test(rest) || /^build-[0-9a-f]{7}-[a-z0-9]{5}$/.test(rest));
    default:
      return false;
  }
}

const cores = (value: string): string => {
  const milli = value.endsWith('m') ? Number(value.slice(0, -1)) : Number(value) * 1000;
  return Number.isFinite(milli) ? `${String(milli / 1000)} cores` : value;
};

/** The event in plain words, or null when its reason is not one the platform explains. */
export function summarize(reason: string, message: string): string | null {
  if (reason === 'FailedCreate' && message.includes('exceeded quota')) {
    // "…exceeded quota: tenant-quota, requested: limits.cpu=500m, used: limits.cpu=3500m, limited: limits.cpu=4"
    const field = (what: string) => new RegExp(`${what}: ([^,]+)`).exec(message)?.[1]?.trim() ?? '';
    const used = field('used').split('=');
    const limited = field('limited').split('=');
    const resource = used[0] ?? 'a resource';
    const show = resource.includes('cpu') ? cores : (v: string) => v;
    return `Waiting: the project's ${resource} quota is used up (${show(used[1] ?? '?')} of ${show(limited[1] ?? '?')}), so a pod cannot be created.`;
  }
  if (reason === 'FailedScheduling') {
    const short = /Insufficient (cpu|memory)/.exec(message)?.[1];
    return short ? `Waiting: no node has enough ${short === 'cpu' ? 'CPU' : 'memory'} free for the pod.` : 'Waiting: no node can take the pod yet.';
  }
  if (reason === 'BackOff' && message.includes('restarting failed container')) return 'The app keeps exiting: Kubernetes restarts it, waiting longer each time.';
  if ((reason === 'Failed' || reason === 'BackOff') && /pull|ErrImage/i.test(message)) return `The image cannot be pulled: ${message}`;
  if (reason === 'Unhealthy') return `The health check fails: ${message}`;
  if (reason === 'OOMKilling' || message.includes('OOMKilled')) return 'The app ran out of memory and was killed: give it a bigger size.';
  if (reason === 'FailedMount' || reason === 'FailedAttachVolume') return `The volume cannot be mounted: ${message}`;
  return null;
}

function time(event: CoreV1Event): string | null {
  const at = event.lastTimestamp ?? event.eventTime ?? event.metadata.creationTimestamp;
  return at ? new Date(at).toISOString() : null;
}

export class ServiceEvents {
  private readonly core: CoreV1Api;

  constructor(kube: KubeConfig) {
    this.core = kube.makeApiClient(CoreV1Api);
  }

  /**
   * Why a build Job has no pod, when the cluster refused it one for the namespace's quota
   * in the last ten minutes (the Job controller's FailedCreate event, repeated as it retries), in plain words.
   */
  async buildWaiting(namespace: string, job: string): Promise<string | null> {
    const events = await this.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=Job,involvedObject.name=${job},reason=FailedCreate`,
    });
    const newest = events.items.sort((a, b) => (time(b) ?? '').localeCompare(time(a) ?? ''))[0];
    const at = newest ? time(newest) : null;
    if (!newest || at === null || Date.now() - Date.parse(at) > 600_000) return null;
    const summary = summarize(newest.reason ?? '', newest.message ?? '');
    return summary?.startsWith('Waiting:') ? summary.replace('so a pod cannot be created', 'so the build waits for room') : null;
  }

  /** The service's events, newest first (at most 100). */
  async list(namespace: string, service: string): Promise<ServiceEvent[]> {
    const events = await this.core.listNamespacedEvent({ namespace });
    return events.items
      .filter((e) => belongsTo(service, e.involvedObject.kind, e.involvedObject.name))
      .sort((a, b) => (time(b) ?? '').localeCompare(time(a) ?? ''))
      .slice(0, MAX_EVENTS)
      .map((e) => ({
        type: e.type === 'Warning' ? 'Warning' : 'Normal',
        reason: e.reason ?? '',
        object: `${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''}`,
        message: e.message ?? '',
        summary: summarize(e.reason ?? '', e.message ?? ''),
        count: e.count ?? 1,
        firstSeen: e.firstTimestamp ? new Date(e.firstTimestamp).toISOString() : time(e),
        lastSeen: time(e),
      }));
  }
}
