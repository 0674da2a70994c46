// The simulated nodes' log endpoint. The apiserver serves `pods/log` by proxying, over
// verified HTTPS, to `GET /containerLogs/{namespace}/{pod}/{container}` on the node's
// InternalIP and kubelet port. kwok's nodes advertise 127.0.0.1 and this server's port, so
// this small "kubelet" answers: a pod's log is the text of its `dangus.test/log`
// annotation, and a follow (`?follow=true`) stream ends when the pod terminates, as it
// does with a real kubelet. (kwok's own log server cannot tell that a container stopped,
// so its follow streams never end.)
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from 'node:https';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { CoreV1Api } from '@kubernetes/client-node';
import type { KubeConfig, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';

import { MARKER_LOG, MARKER_LOG_INTERVAL } from './kwok-config.js';

interface Line {
  time: number;
  text: string;
}

/** Parses a Go-style duration ("500ms", "2s", "1m30s"); undefined when absent or malformed. */
export function parseDuration(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = value.trim();
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m?.[1] || !m[2]) return undefined;
    total += Number(m[1]) * (unit[m[2]] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return total;
}

function startedAt(pod: V1Pod): number {
  const t = pod.status?.startTime ?? pod.metadata?.creationTimestamp;
  return t ? new Date(t).getTime() : Date.now();
}

function containerStatus(pod: V1Pod, container: string): V1ContainerStatus | undefined {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return all.find((s) => s.name === container);
}

/**
 * Whether no more log lines can come: the pod has terminated, or this container is not
 * running and its last run has ended (a crash-looping container, see the crash-loop marker).
 */
function isTerminal(pod: V1Pod, container: string): boolean {
  if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || pod.metadata?.deletionTimestamp) return true;
  const status = containerStatus(pod, container);
  return !!status?.state?.waiting && !!status.lastState?.terminated;
}

/** Why a container that has never run has no log, in the kubelet's words (validateContainerLogStatus). */
function waitingToStart(pod: V1Pod, container: string): string {
  const reason = containerStatus(pod, container)?.state?.waiting?.reason ?? 'ContainerCreating';
  if (reason === 'ErrImagePull') return 'image can\'t be pulled';
  if (reason === 'ImagePullBackOff') return 'trying and failing to pull image';
  return reason;
}

/** The pod's whole log: one line per line of the annotation, `interval` apart from the start. */
export function podLog(pod: V1Pod): Line[] {
  const text = pod.metadata?.annotations?.[MARKER_LOG];
  if (text === undefined || text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const interval = parseDuration(pod.metadata?.annotations?.[MARKER_LOG_INTERVAL]) ?? 0;
  const t0 = startedAt(pod);
  return lines.map((l, i) => ({ time: t0 + i * interval, text: l }));
}

function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

export class KubeletLogServer {
  private readonly core: CoreV1Api;
  private server: Server | undefined;
  private readonly open = new Set<ServerResponse>();
  private closing = false;

  constructor(
    kc: KubeConfig,
    private readonly tls: { certFile: string; keyFile: string },
    private readonly report: (msg: string) => void = () => {},
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
  }

  /** Listens on 127.0.0.1:`port`. */
  async start(port: number): Promise<void> {
    const server = createServer({ cert: await readFile(this.tls.certFile), key: await readFile(this.tls.keyFile) }, (req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.report(`kubelet log server: ${req.url}: ${String(err)}`);
        if (!res.headersSent) res.writeHead(500).end(String(err));
        else res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  async stop(): Promise<void> {
    this.closing = true;
    for (const res of this.open) res.end();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async readPod(namespace: string, name: string): Promise<V1Pod | undefined> {
    try {
      return await this.core.readNamespacedPod({ name, namespace });
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)\/?$/.exec(url.pathname);
    if (req.method !== 'GET' || !m?.[1] || !m[2] || !m[3]) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const [namespace, name, container] = [m[1], m[2], m[3]].map(decodeURIComponent) as [string, string, string];
    const q = url.searchParams;
    const pod = await this.readPod(namespace, name);
    if (!pod) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`pod "${name}" not found\n`);
      return;
    }
    if (!pod.spec?.containers.some((c) => c.name === container) && !pod.spec?.initContainers?.some((c) => c.name === container)) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(`container "${container}" not found in pod "${name}"\n`);
      return;
    }
    // `previous`: the log of the last run, which only a restarted (crash-looping) container has;
    // here it is the same text as the current one.
    const previous = q.get('previous') === 'true';
    if (previous && !containerStatus(pod, container)?.lastState?.terminated) {
      res
        .writeHead(400, { 'Content-Type': 'text/plain' })
        .end(`previous terminated container "${container}" in pod "${name}" not found\n`);
      return;
    }
    if (pod.status?.phase === 'Pending') {
      res
        .writeHead(400, { 'Content-Type': 'text/plain' })
        .end(`container "${container}" in pod "${name}" is waiting to start: ${waitingToStart(pod, container)}\n`);
      return;
    }

    const follow = q.get('follow') === 'true' && !previous;
    const timestamps = q.get('timestamps') === 'true';
    const tailLines = q.has('tailLines') ? Number(q.get('tailLines')) : undefined;
    let budget = q.has('limitBytes') ? Number(q.get('limitBytes')) : Infinity;
    let since = -Infinity;
    if (q.has('sinceSeconds')) since = Date.now() - Number(q.get('sinceSeconds')) * 1000;
    if (q.has('sinceTime')) since = Math.max(since, new Date(q.get('sinceTime') as string).getTime());

    res.writeHead(200, { 'Content-Type': 'text/plain' });
    this.open.add(res);
    const conn = { closed: false };
    res.on('close', () => {
      conn.closed = true;
      this.open.delete(res);
    });
    const emit = (lines: Line[]): boolean => {
      for (const line of lines) {
        if (line.time < since) continue;
        let out = `${timestamps ? `${rfc3339Nano(line.time)} ` : ''}${line.text}\n`;
        if (Buffer.byteLength(out) > budget) out = Buffer.from(out).subarray(0, budget).toString();
        budget -= Buffer.byteLength(out);
        res.write(out);
        if (budget <= 0) return false;
      }
      return true;
    };

    let current: V1Pod = pod;
    let all = podLog(current);
    let sent = all.filter((l) => isTerminal(current, container) || l.time <= Date.now()).length;
    let first = all.slice(0, sent);
    if (tailLines !== undefined && tailLines >= 0) first = first.slice(Math.max(0, first.length - tailLines));
    if (!emit(first) || !follow) {
      res.end();
      return;
    }
    // Follow: pass on lines as they "happen"; end when the pod has terminated and all is out.
    while (!conn.closed && !this.closing) {
      if (isTerminal(current, container) && sent >= all.length) break;
      const next = all[sent];
      const wait = next ? Math.min(500, Math.max(0, next.time - Date.now())) : 500;
      await sleep(wait);
      const fresh = await this.readPod(namespace, name);
      if (!fresh || fresh.metadata?.uid !== pod.metadata?.uid) {
        if (!emit(all.slice(sent))) break;
        break;
      }
      current = fresh;
      all = podLog(current);
      const visible = all.filter((l, i) => i >= sent && (isTerminal(current, container) || l.time <= Date.now()));
      sent += visible.length;
      if (!emit(visible)) break;
    }
    res.end();
  }
}
