/**
 * Real push → first HTTP 200 of the new version through Traefik, on a real node: the
 * product's Kaniko build Job, a real registry, the kubelet pulling and starting the app,
 * its readiness probe, Traefik routing to it (e2e/realnode). One warm-up push (no layer
 * cache yet: its Kaniko run is reported apart), then `--pushes` pushes that each change one
 * file, so Kaniko's cache (`--cache` with the rendered cache repo) serves the RUN step.
 *
 * Stages, each seen where it happens: the webhook's answer; the build Job in a watch;
 * the Kaniko container running and terminated (pod watch), and its "Pushing image" line
 * (placed by the kubelet's log timestamp against the container's finish); the Job
 * complete (Job watch); the row `deploying` and `live` (the api's event bus); the new
 * app container running (pod watch); the first answer of the new version through Traefik
 * (polled every 20 ms). The build share is split further by the parts' own clocks:
 * containerd's events (`ctr events`, containerd-events.ts) for the sandbox, the fetch
 * container's start and exit and Kaniko's create, start and exit; Kaniko's log lines (the
 * kubelet's timestamps) for building and pushing; and the registry's notification of the
 * push (its own timestamp), against which each gap until the platform learns of a step is
 * measured. With DANGUS_EVENTED_PLEG=1 the node runs containerd 2.x and the kubelet's evented
 * PLEG (e2e/cluster/README.md). Needs root (the real node). `node --import tsx e2e/bench/real-node.ts [--pushes 5]`.
 */
import { cpus } from 'node:os';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { Watch, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { setupPostgres } from '@dangus/api/test-support/postgres-setup';
import { teardownPostgres } from '@dangus/api/test-support/postgres-teardown';
import { ContainerdEvents, onBenchClock } from './containerd-events.js';
import { commitApp, createProject, createService, push, startRealWorld, viaIngress, type RealWorld } from '../realnode/support.js';
import { percentile } from './percentile.js';

const { values: args } = parseArgs({ options: { pushes: { type: 'string', default: '5' } } });
const PUSHES = Number(args.pushes);

const STAGES = [
  ['webhook → Job (state repo, applier)', 'answered', 'job'],
  ['Job → build pod (Job controller)', 'job', 'build-pod'],
  ['build pod → Kaniko running (schedule, sandbox, fetch)', 'build-pod', 'kaniko-running'],
  ['  build pod seen → sandbox started (containerd)', 'build-pod', 'c:POD:started'],
  ['  sandbox started → fetch started (containerd)', 'c:POD:started', 'c:fetch-source:started'],
  ['  fetch: git in its container (containerd: start → exit)', 'c:fetch-source:started', 'c:fetch-source:exited'],
  ['  fetch exited → Kaniko created (the kubelet notices: PLEG relist)', 'c:fetch-source:exited', 'c:kaniko:created'],
  ['  Kaniko created → started (containerd, runc)', 'c:kaniko:created', 'c:kaniko:started'],
  ['  Kaniko started → the pod watch sees it running', 'c:kaniko:started', 'kaniko-running'],
  ['Kaniko running → done', 'kaniko-running', 'kaniko-done'],
  ['  Kaniko started → its first log line', 'c:kaniko:started', 'log:first'],
  ['  building (its log: first line → "Pushing image")', 'log:first', 'log:pushing'],
  ['  pushing (its log: "Pushing image" → last line)', 'log:pushing', 'log:last'],
  ['  last line → Kaniko exited (containerd)', 'log:last', 'c:kaniko:exited'],
  ['  Kaniko exited → the pod watch sees it (PLEG relist, status sync)', 'c:kaniko:exited', 'kaniko-done'],
  ['registry stored the image → Kaniko exited (containerd)', 'registry:pushed', 'c:kaniko:exited'],
  ['registry stored the image → its notification recorded (the platform)', 'registry:pushed', 'registry:received'],
  ['registry stored the image → rollout (deploying)', 'registry:pushed', 'deploying'],
  ['Kaniko done → rollout (deploying; the platform)', 'kaniko-done', 'deploying'],
  ['(Kaniko done → Job Complete, no longer waited for)', 'kaniko-done', 'job-complete'],
  ['pull + start (deploying → app running)', 'deploying', 'app-running'],
  ['probe → live', 'app-running', 'live'],
  ['live → first 200 through Traefik', 'live', 'served'],
  ['push → first 200 (total)', 'sent', 'served'],
] as const;

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${String(pid)}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** containerd's shims (one per pod) of the real node: their pids. */
function shimPids(world: RealWorld): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        // containerd 1.6's shims name its socket; 2.x's (DANGUS_EVENTED_PLEG) run from the node's own folder.
        return cmdline.includes('containerd-shim') && (cmdline.includes(world.node.containerdAddress) || cmdline.includes(`${dirname(world.node.containerdAddress)}/`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function main(): Promise<void> {
  await setupPostgres();
  let world: RealWorld | undefined;
  try {
    world = await startRealWorld((line) => process.stderr.write(`${line}\n`));
    const w = world;
    const project = await createProject(w, 'bench');
    const service = await createService(w, project.id, { name: 'web', healthCheckPath: '/healthz' });

    // Where each moment is seen, per deployment (or per commit, for what the cluster shows).
    let marks = new Map<string, number>();
    const mark = (key: string) => {
      if (!marks.has(key)) marks.set(key, performance.now());
    };
    let current = { id: '', sha: '' };
    const [user] = await w.platform.db.query<{ id: string }[]>('SELECT id FROM users WHERE github_username = $1', [w.login]);
    w.platform.events.onDeployment(user?.id ?? '', ({ deployment }) => {
      if (deployment.id === current.id) mark(deployment.status);
    });
    const pushLineRead = new Set<string>();
    const watch = await new Watch(w.kube).watch(`/api/v1/namespaces/${project.namespace}/pods`, {}, (_type, pod: V1Pod) => {
      const name = pod.metadata?.name ?? '';
      if (current.sha === '') return;
      if (name.startsWith(`web-build-${current.sha.slice(0, 7)}`)) {
        mark('build-pod');
        const kaniko = pod.status?.containerStatuses?.find((c) => c.name === 'kaniko');
        if (kaniko?.state?.running || kaniko?.state?.terminated) mark('kaniko-running');
        if (kaniko?.state?.terminated) {
          mark('kaniko-done');
          // Build and push apart, from the kubelet's timestamps of Kaniko's log lines (one clock).
          if (!pushLineRead.has(name)) {
            pushLineRead.add(name);
            const at = marks;
            void w.core
              .readNamespacedPodLog({ namespace: project.namespace, name, container: 'kaniko', timestamps: true })
              .then((text) => {
                const lines = text.split('\n').filter((l) => l.trim() !== '');
                // RFC 3339 with nanoseconds: milliseconds are what Date.parse keeps.
                const stamp = (line: string | undefined) =>
                  line ? Date.parse(line.slice(0, line.indexOf(' ')).replace(/(\.\d{3})\d*/, '$1')) : Number.NaN;
                at.set('log:first', onBenchClock(stamp(lines[0])));
                at.set('log:pushing', onBenchClock(stamp(lines.find((l) => l.includes('Pushing image to')))));
                at.set('log:last', onBenchClock(stamp(lines.at(-1))));
              })
              .catch(() => undefined);
          }
        }
      } else if (pod.spec?.containers[0]?.image?.includes(`:${current.sha}@`) && pod.status?.containerStatuses?.[0]?.state?.running) {
        mark('app-running');
      }
    }, () => undefined);

    const jobWatch = await new Watch(w.kube).watch(`/apis/batch/v1/namespaces/${project.namespace}/jobs`, {}, (_type, job: V1Job) => {
      if (current.sha === '' || job.metadata?.name !== `web-build-${current.sha.slice(0, 7)}`) return;
      mark('job');
      if (job.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) mark('job-complete');
    }, () => undefined);
    // containerd's own times of each container's create, start and exit.
    const containerd = new ContainerdEvents(w.node.containerdAddress);
    const runs: { marks: Map<string, number>; cached: boolean }[] = [];
    for (let i = 0; i <= PUSHES; i += 1) {
      marks = new Map();
      const version = `v${String(i)}`;
      const commit = await commitApp(w, { version });
      current = { id: '', sha: commit };
      mark('sent');
      const id = await push(w, service, commit);
      mark('answered');
      current = { id, sha: commit };
      const ingress = await w.networking.readNamespacedIngress({ namespace: project.namespace, name: 'web' });
      const host = ingress.spec?.rules?.[0]?.host ?? '';
      for (const deadline = Date.now() + 300_000; !marks.has('served'); ) {
        if (Date.now() > deadline) throw new Error(`push ${version} was not served within 300 s (seen: ${[...marks.keys()].join(', ')})`);
        const [row] = await w.platform.db.query<{ status: string; reason: string | null }[]>('SELECT status, reason FROM deployments WHERE id = $1', [id]);
        if (row?.status === 'failed') throw new Error(`push ${version} failed: ${row.reason ?? ''}`);
        if (marks.has('deploying')) {
          const res = await viaIngress(w, host, '/cgi-bin/app').catch(() => ({ status: 0, body: '' }));
          if (res.status === 200 && res.body.includes(`version=${version}`)) mark('served');
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      for (const [name, times] of await containerd.pod(`web-build-${commit.slice(0, 7)}`)) {
        for (const key of ['created', 'started', 'exited'] as const) {
          const at = times[key];
          if (at !== undefined) marks.set(`c:${name}:${key}`, at);
        }
      }
      // The registry's own time of the push (its notification's timestamp), and when the platform recorded it.
      const [pushed] = await w.platform.db.query<{ occurred_at: Date; received_at: Date }[]>(
        `SELECT occurred_at, received_at FROM registry_events WHERE deployment_id = $1 ORDER BY received_at LIMIT 1`, [id],
      );
      if (pushed) {
        marks.set('registry:pushed', onBenchClock(pushed.occurred_at.getTime()));
        marks.set('registry:received', onBenchClock(pushed.received_at.getTime()));
      }
      const [row] = await w.platform.db.query<{ build_logs: string }[]>('SELECT build_logs FROM deployments WHERE id = $1', [id]);
      runs.push({ marks, cached: (row?.build_logs ?? '').includes('Using caching version of cmd') });
    }
    watch.abort();
    jobWatch.abort();
    containerd.stop();

    const ms = (run: Map<string, number>, from: string, to: string) => (run.get(to) ?? Number.NaN) - (run.get(from) ?? Number.NaN);
    const [first, ...rest] = runs;
    process.stdout.write(`\nReal push → first 200 of the new version through Traefik, ${String(cpus().length)} cores; p50 of ${String(rest.length)} pushes that change one file (Kaniko's cache used: ${String(rest.filter((r) => r.cached).length)}/${String(rest.length)}), and the first push (no cache yet)\n\n`);
    process.stdout.write('| stage | p50 (ms) | min | max | first push, uncached |\n| --- | ---: | ---: | ---: | ---: |\n');
    process.stderr.write(`per push, push → first 200 (ms): ${runs.map((r) => ms(r.marks, 'sent', 'served').toFixed(0)).join(', ')}\n`);
    for (const [label, from, to] of STAGES) {
      const values = rest.map((r) => ms(r.marks, from, to)).sort((a, b) => a - b);
      const firstValue = first ? ms(first.marks, from, to) : Number.NaN;
      process.stdout.write(`| ${label} | ${percentile(values, 50).toFixed(0)} | ${(values[0] ?? NaN).toFixed(0)} | ${(values.at(-1) ?? NaN).toFixed(0)} | ${firstValue.toFixed(0)} |\n`);
    }
    const pids = w.node.pids;
    const shims = shimPids(w);
    process.stdout.write('\nNode components, RSS after the pushes (MB):\n\n| component | RSS |\n| --- | ---: |\n');
    for (const name of ['kubelet', 'containerd', 'registry', 'traefik'] as const) {
      const pid = pids[name];
      if (pid !== undefined) process.stdout.write(`| ${name} | ${rssMb(pid).toFixed(0)} |\n`);
    }
    process.stdout.write(`| containerd shims (${String(shims.length)}) | ${shims.reduce((sum, pid) => sum + rssMb(pid), 0).toFixed(0)} |\n`);
  } finally {
    await world?.close();
    await teardownPostgres();
  }
}

// The real node needs root (mounts, cgroups, network namespaces): elsewhere, say so and pass.
if (process.getuid?.() === 0) await main();
else process.stdout.write('\nskipped: the real-node benchmark needs root (see e2e/cluster/README.md, "The real-node tier")\n');
