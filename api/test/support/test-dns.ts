/**
 * A DNS server the test controls, on loopback: Debian's BIND (`named`, package bind9),
 * authoritative for the zones given, each a zone file the test rewrites and reloads with
 * `rndc` (a key of its own). And a "silent" server, a UDP socket that never answers, for
 * the timeouts. Nothing leaves the machine: BIND does no recursion here.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestDns {
  /** `127.0.0.1:port`, for DOMAIN_DNS_SERVERS. */
  server: string;
  /** Replaces a zone's records (lines such as `blog IN A 127.0.0.1`, `_dangus-challenge.blog IN TXT "x"`) and reloads it. */
  setRecords(zone: string, records: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A free TCP port on loopback (BIND takes it for UDP and TCP). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function zoneFile(zone: string, serial: number, records: string[]): string {
  return [
    '$TTL 1',
    `@ IN SOA ns.${zone}. hostmaster.${zone}. ( ${String(serial)} 60 60 60 1 )`,
    `@ IN NS ns.${zone}.`,
    'ns IN A 127.0.0.1',
    ...records,
    '',
  ].join('\n');
}

export async function startTestDns(zones: string[]): Promise<TestDns> {
  const dir = await mkdtemp(join(tmpdir(), 'dangus-dns-'));
  const port = await freePort();
  const controlPort = await freePort();
  const secret = randomBytes(32).toString('base64');
  const key = `key "test-rndc" { algorithm hmac-sha256; secret "${secret}"; };\n`;
  await writeFile(join(dir, 'rndc.key'), key);
  let serial = 1;
  const started = Math.floor(Date.now() / 1000);
  for (const zone of zones) await writeFile(join(dir, `${zone}.zone`), zoneFile(zone, serial, []));
  await writeFile(
    join(dir, 'named.conf'),
    [
      key,
      `options { directory "${dir}"; pid-file "${dir}/named.pid"; listen-on port ${String(port)} { 127.0.0.1; }; listen-on-v6 { none; };`,
      '  recursion no; dnssec-validation no; allow-query { 127.0.0.1; }; notify no; check-names primary ignore; };',
      `controls { inet 127.0.0.1 port ${String(controlPort)} allow { 127.0.0.1; } keys { "test-rndc"; }; };`,
      ...zones.map((zone) => `zone "${zone}" { type primary; file "${dir}/${zone}.zone"; };`),
      '',
    ].join('\n'),
  );
  const named: ChildProcess = spawn('named', ['-g', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`named did not start:\n${log}`));
    }, 20_000);
    named.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`named (Debian's bind9) cannot start: ${error.message}`));
    });
    named.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`named exited (${String(code)}):\n${log}`));
    });
    named.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (/^\S+ \S+ running$/m.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  named.removeAllListeners('exit');
  const rndc = (...args: string[]) => exec('rndc', ['-s', '127.0.0.1', '-p', String(controlPort), '-k', join(dir, 'rndc.key'), ...args]);
  return {
    server: `127.0.0.1:${String(port)}`,
    async setRecords(zone, records) {
      serial += 1;
      const file = join(dir, `${zone}.zone`);
      await writeFile(file, zoneFile(zone, serial, records));
      // BIND reloads a zone only when its file's mtime moved, in whole seconds: move it a second per serial.
      const mtime = started + serial;
      await utimes(file, mtime, mtime);
      await rndc('reload', zone);
      // The reload is asynchronous: wait until the zone answers with the new serial.
      let status = '';
      for (let i = 0; i < 100; i += 1) {
        status = (await rndc('zonestatus', zone)).stdout;
        if (status.includes(`serial: ${String(serial)}`)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`zone ${zone} did not reload to serial ${String(serial)}:\n${status}\n${log.split('\n').filter((line) => !line.includes('zonestatus')).slice(-15).join('\n')}`);
    },
    async stop() {
      const exited = new Promise((resolve) => named.once('exit', resolve));
      named.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A DNS server that never answers: every question to it times out. */
export async function startSilentDns(): Promise<{ server: string; stop(): Promise<void> }> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${String(socket.address().port)}`,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
