/**
 * The platform as replicas run it (docs/architecture.md#process-roles): api processes
 * (DANGUS_ROLE=api) and controller processes (DANGUS_ROLE=controller), each `npm start`
 * with its own data dir, on one PostgreSQL, behind a small local load balancer that
 * does what a Kubernetes Service does for ready endpoints: spreads connections over
 * them, and stops sending new ones to a replica taken out of rotation.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { startApiProcess, type ApiProcess } from './api-process.js';

export interface Balancer {
  origin: string;
  port: number;
  /** The backends new requests go to (round robin); a removed one keeps its open connections. */
  setBackends(origins: string[]): void;
  backends(): string[];
  stop(): Promise<void>;
}

/**
 * An HTTP reverse proxy on loopback, round robin over `backends`, streaming both ways
 * (SSE included). It does not retry: a request a backend fails is answered 502, so a
 * failed delivery counts as failed.
 */
export async function startBalancer(port = 0): Promise<Balancer> {
  let backends: string[] = [];
  let next = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = backends.length === 0 ? undefined : backends[next++ % backends.length];
    if (!target) {
      res.writeHead(503).end('no backend\n');
      return;
    }
    const url = new URL(target);
    const upstream = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        res.once('close', () => answer.destroy());
        // A backend that dies mid-answer: the client's connection is cut too, as a proxy does.
        answer.once('error', () => res.destroy());
        answer.once('close', () => {
          if (!answer.complete) res.destroy();
        });
      },
    );
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502).end('bad gateway\n');
      else res.destroy();
    });
    req.pipe(upstream);
    res.once('close', () => upstream.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${String(bound)}`,
    port: bound,
    setBackends(origins) {
      backends = [...origins];
    },
    backends: () => [...backends],
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface ReplicaSetOptions {
  databaseUrl: string;
  /** Settings every process gets (GitHub's URLs, KUBECONFIG, …). */
  env?: Record<string, string>;
  apis?: number;
  controllers?: number;
}

export interface Replica {
  role: 'api' | 'controller';
  name: string;
  process: ApiProcess;
}

/** Waits until `check` is truthy (polling); throws with `what` after `timeoutMs`. */
export async function until<T>(check: () => Promise<T | false | undefined | null>, what: string, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The election's state a controller serves at `/status` (`attempts`: tries for the lock PostgreSQL answered). */
export async function electionOf(replica: Replica): Promise<{ leading: boolean; attempts: number } | null> {
  const res = await fetch(`${replica.process.origin}/status`);
  const body = (await res.json()) as { leader: { leading: boolean; attempts: number } | null };
  return body.leader;
}

/** The leader status a controller serves at `/status`. */
export async function leaderOf(replica: Replica): Promise<boolean> {
  return (await electionOf(replica))?.leading === true;
}

/**
 * Starts the processes and the balancer in front of the api replicas. Every process
 * shares the database, the keys and the state repo token; each has its own data dir
 * (its own state repo copy, as pods with their own volumes).
 */
export async function startReplicaSet(options: ReplicaSetOptions) {
  const balancer = await startBalancer();
  const shared: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    STATE_REPO_TOKEN: randomBytes(16).toString('hex'),
    PUBLIC_URL: balancer.origin,
    AUTH_LOCAL: 'true',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const replicas: Replica[] = [];
  let count = 0;
  const start = async (role: 'api' | 'controller', name = `${role}-${String(++count)}`): Promise<Replica> => {
    const process = await startApiProcess({ ...shared, DANGUS_ROLE: role });
    const replica = { role, name, process };
    replicas.push(replica);
    if (role === 'api') balancer.setBackends([...balancer.backends(), process.origin]);
    return replica;
  };
  const started = await Promise.all([
    ...Array.from({ length: options.apis ?? 2 }, () => start('api')),
    ...Array.from({ length: options.controllers ?? 2 }, () => start('controller')),
  ]);
  const live = () => replicas.filter((r) => r.process.exitCode === null);
  return {
    balancer,
    token: shared.STATE_REPO_TOKEN ?? '',
    replicas: started,
    start,
    apis: () => live().filter((r) => r.role === 'api'),
    controllers: () => live().filter((r) => r.role === 'controller'),
    /** The controller that leads now (waits for one). */
    async leader(timeoutMs = 30_000): Promise<Replica> {
      return until(async () => {
        for (const r of live().filter((c) => c.role === 'controller')) if (await leaderOf(r)) return r;
        return false;
      }, 'a leading controller', timeoutMs);
    },
    /** Out of rotation, then SIGTERM (what the endpoints update and preStop do), and wait for the exit. */
    async stopApi(replica: Replica, drainMs = 300): Promise<void> {
      balancer.setBackends(balancer.backends().filter((origin) => origin !== replica.process.origin));
      await new Promise((resolve) => setTimeout(resolve, drainMs));
      await replica.process.stopKeepingData();
    },
    async kill(replica: Replica): Promise<void> {
      balancer.setBackends(balancer.backends().filter((origin) => origin !== replica.process.origin));
      await replica.process.kill();
    },
    async stop(): Promise<void> {
      await Promise.allSettled(live().map((r) => r.process.stop()));
      await balancer.stop();
    },
  };
}

export type ReplicaSet = Awaited<ReturnType<typeof startReplicaSet>>;

/** Signs in with the local sign-in through the balancer; returns the Cookie header. */
export async function signInLocal(origin: string): Promise<string> {
  const res = await fetch(`${origin}/auth/local`, { method: 'POST', headers: { Origin: origin }, redirect: 'manual' });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c?.startsWith('dangus_session='));
  if (!cookie) throw new Error(`no session from the local sign-in (${String(res.status)})`);
  return cookie;
}

/** JSON calls to the platform as a signed-in browser makes them; a non-2xx answer throws with its body. */
export function jsonCaller(origin: string, cookie: string) {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: { Cookie: cookie, Origin: origin, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${String(res.status)} ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
}
