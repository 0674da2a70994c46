// Small process, network and polling helpers for the cluster harness.
import { request } from 'node:https';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port on `host` (127.0.0.1 by default) that was free a moment ago (bind to :0, read the port, close). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('could not read a free port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/** `count` distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

export interface TlsMaterial {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Skip verification of the server certificate (self-signed component serving certs). */
  insecure?: boolean;
}

/** GET over HTTPS (or HTTP); resolves with status and body, never rejects on HTTP status. */
export async function httpGet(
  url: string,
  tls: TlsMaterial = {},
  timeoutMs = 5_000,
): Promise<{ status: number; body: string }> {
  if (url.startsWith('http://')) {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await res.text() };
  }
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: !tls.insecure,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms: GET ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

export interface PollOptions {
  /** Give up after this many milliseconds. */
  timeoutMs: number;
  intervalMs?: number;
  /** Named in the error on timeout. */
  what: string;
  /** Checked on every round; a string return aborts the wait with that message. */
  abort?: () => string | undefined;
}

/**
 * Calls `check` until it returns a value other than undefined/false, and returns that value.
 * Exceptions thrown by `check` count as "not yet" (the last one is reported on timeout).
 */
export async function pollUntil<T>(check: () => Promise<T | undefined | false>, opts: PollOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    const aborted = opts.abort?.();
    if (aborted !== undefined) throw new Error(`${opts.what}: ${aborted}`);
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${opts.what}${detail}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/** True when a process with this pid exists (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves when the process is gone. */
export async function terminate(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    while (isAlive(pid)) await sleep(50);
  }
}
