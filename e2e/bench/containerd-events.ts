/**
 * containerd's own account of a pod's containers, for the real-node benchmark: `ctr events`
 * streams every container's create, its task's start and exit, each stamped by containerd
 * when it happened (not when the kubelet or a pod watch learns of it). A container's id is
 * named (pod, container, sandbox or not) from the labels the CRI plugin gives it.
 *
 * Times are milliseconds on `performance.now()`'s clock, so they subtract from a bench's marks.
 */
import { spawn, execFile } from 'node:child_process';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ContainerTimes {
  id: string;
  /** The pod's name (`io.kubernetes.pod.name`). */
  pod: string;
  /** The container's name; `POD` for a sandbox (the pause container). */
  container: string;
  created?: number;
  started?: number;
  exited?: number;
  exitStatus?: number;
}

/** "2026-12-07 13:04:57.371556901 +0000 UTC" → epoch milliseconds (with the sub-millisecond part kept). */
function eventTime(date: string, clock: string): number {
  const [whole, fraction = '0'] = clock.split('.');
  return Date.parse(`${date}T${whole ?? ''}Z`) + Number(`0.${fraction}`) * 1000;
}

/** An epoch time as `performance.now()` would have read it then. */
export function onBenchClock(epochMs: number): number {
  return epochMs - performance.timeOrigin;
}

export class ContainerdEvents {
  private readonly byId = new Map<string, ContainerTimes>();
  private readonly lookups: Promise<void>[] = [];
  private readonly child;

  constructor(private readonly address: string) {
    this.child = spawn('ctr', ['--address', address, 'events'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = createInterface({ input: this.child.stdout });
    lines.on('line', (line) => this.read(line));
  }

  private read(line: string): void {
    // <date> <time> <zone> UTC <namespace> <topic> <json>
    const match = /^(\S+) (\S+) \S+ \S+ k8s\.io (\/\S+) (\{.*\})$/.exec(line);
    if (!match) return;
    const [, date = '', clock = '', topic, json = '{}'] = match;
    const at = onBenchClock(eventTime(date, clock));
    const body = JSON.parse(json) as { id?: string; container_id?: string; exit_status?: number };
    if (topic === '/containers/create' && body.id) {
      const entry: ContainerTimes = { id: body.id, pod: '', container: '', created: at };
      this.byId.set(body.id, entry);
      this.lookups.push(this.name(entry));
    } else if (topic === '/tasks/start' && body.container_id) {
      const entry = this.byId.get(body.container_id);
      if (entry) entry.started ??= at;
    } else if (topic === '/tasks/exit' && body.container_id && body.id === body.container_id) {
      const entry = this.byId.get(body.container_id);
      if (entry) {
        entry.exited ??= at;
        entry.exitStatus = body.exit_status ?? 0;
      }
    }
  }

  private async name(entry: ContainerTimes): Promise<void> {
    try {
      const { stdout } = await run('ctr', ['--address', this.address, '-n', 'k8s.io', 'containers', 'info', entry.id], { maxBuffer: 16 * 1024 * 1024 });
      const labels = (JSON.parse(stdout) as { Labels?: Record<string, string> }).Labels ?? {};
      entry.pod = labels['io.kubernetes.pod.name'] ?? '';
      entry.container = labels['io.cri-containerd.kind'] === 'sandbox' ? 'POD' : (labels['io.kubernetes.container.name'] ?? '');
    } catch {
      // removed before it could be named: not one the bench follows
    }
  }

  /** The containers of pods whose name starts with `podPrefix`, by container name (the first of each name). */
  async pod(podPrefix: string): Promise<Map<string, ContainerTimes>> {
    await Promise.all(this.lookups);
    const found = new Map<string, ContainerTimes>();
    for (const entry of this.byId.values()) {
      if (entry.pod.startsWith(podPrefix) && !found.has(entry.container)) found.set(entry.container, entry);
    }
    return found;
  }

  stop(): void {
    this.child.kill();
  }
}
