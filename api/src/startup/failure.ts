import { resolve } from 'node:path';
import { ConfigError } from '../config/config.js';
import { SettingError } from '../config/setting-error.js';
import { EmbeddedPostgresError } from '../db/embedded-postgres-error.js';

/**
 * What a person reads when the process cannot start: one line that names the setting to
 * change and says what to do, never a stack trace (issue 28). The errors come from the
 * start-up's few kinds of work: the configuration, the database (PostgreSQL of
 * DATABASE_URL, or the embedded one in DANGUS_DATA_DIR), the kubeconfig (kube/kube-config.ts
 * names it) and the listen.
 * Anything else is one line too, with its message; LOG_LEVEL=debug adds the stack.
 */
export function startupFailureLine(error: unknown, env: Record<string, string | undefined>): string {
  if (error instanceof ConfigError) return error.message;
  const e = error instanceof Error ? (error as NodeJS.ErrnoException & { severity?: string; address?: string; port?: number }) : undefined;
  const line =
    (e && settingError(e)) ??
    (e && listenFailure(e, env)) ??
    (e && databaseFailure(e, env)) ??
    `Dangus Cloud failed to start: ${firstLine(e?.message ?? String(error))}${debugging(env) ? '' : ' (LOG_LEVEL=debug prints the stack)'}`;
  return debugging(env) && e?.stack ? `${line}\n${e.stack}` : line;
}

/** An error raised with its setting already named (see SettingError). */
function settingError(e: Error): string | undefined {
  return e instanceof SettingError ? e.message : undefined;
}

const debugging = (env: Record<string, string | undefined>) => ['debug', 'trace'].includes((env.LOG_LEVEL ?? '').trim());
const firstLine = (text: string) => text.split('\n')[0] ?? text;

function listenFailure(e: NodeJS.ErrnoException & { address?: string; port?: number }, env: Record<string, string | undefined>): string | undefined {
  if (e.syscall !== 'listen' && !(e.code === 'ENOTFOUND' && e.syscall === 'getaddrinfo' && env.HOST && e.message.includes(env.HOST))) return undefined;
  const host = e.address ?? env.HOST ?? '127.0.0.1';
  const port = e.port ?? env.PORT ?? '3000';
  switch (e.code) {
    case 'EADDRINUSE':
      return `PORT: port ${String(port)} on ${host} is already in use (another Dangus Cloud, or another program): stop that one, or set PORT to a free port.`;
    case 'EACCES':
      return `PORT: this user may not listen on port ${String(port)} (ports below 1024 need root or CAP_NET_BIND_SERVICE): set PORT to 1024 or above.`;
    case 'EADDRNOTAVAIL':
      return `HOST: ${host} is not an address of this machine: set HOST to one of its addresses, 127.0.0.1 (this machine only) or 0.0.0.0 (every address).`;
    case 'ENOTFOUND':
      return `HOST: the name ${env.HOST ?? host} does not resolve: set HOST to an address of this machine, 127.0.0.1 or 0.0.0.0.`;
    default:
      return `PORT: cannot listen on ${host}:${String(port)} (${e.code ?? e.message}): set HOST and PORT to an address and port this machine lets you use.`;
  }
}

/** Where DATABASE_URL points, without its password. */
function databaseTarget(url: string): { where: string; user: string; host: string; port: string; database: string } {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname || 'localhost';
    const port = parsed.port || '5432';
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || decodeURIComponent(parsed.username) || 'postgres';
    return { where: `${host}:${port}/${database}`, user: decodeURIComponent(parsed.username) || '(none)', host, port, database };
  } catch {
    return { where: '(unparsable URL)', user: '(unknown)', host: '?', port: '?', database: '?' };
  }
}

function databaseFailure(e: NodeJS.ErrnoException & { severity?: string }, env: Record<string, string | undefined>): string | undefined {
  const url = env.DATABASE_URL?.trim();
  const dataDir = resolve(env.DANGUS_DATA_DIR?.trim() || './.dangus');
  if (!url) return embeddedFailure(e, dataDir);
  const { where, user, host, port, database } = databaseTarget(url);
  const fix = (what: string) => `DATABASE_URL: ${what}`;
  if (/client password must be a string|password must be a string/.test(e.message)) {
    return fix(`PostgreSQL at ${where} asks user "${user}" for a password and DATABASE_URL has none: write it as postgres://${user}:PASSWORD@${host}:${port}/${database}.`);
  }
  switch (e.code) {
    case 'ECONNREFUSED':
      return fix(`nothing answers at ${host}:${port} (connection refused): start PostgreSQL there, or fix the host and port in DATABASE_URL.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return fix(`the host "${host}" is not known (DNS): fix the host in DATABASE_URL.`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return fix(`${host}:${port} cannot be reached (${e.code}): check the host and port in DATABASE_URL, and that the network (a firewall?) lets this machine in.`);
    case 'ECONNRESET':
      return fix(`${host}:${port} closed the connection at once: is it PostgreSQL, and does it want TLS (add ?sslmode=require to DATABASE_URL)?`);
    case '28P01':
      return fix(`PostgreSQL at ${where} refused the password of user "${user}": fix the password in DATABASE_URL (URL-encode characters such as @ : / ?).`);
    case '28000':
      return fix(`PostgreSQL at ${where} does not let user "${user}" in (${firstLine(e.message)}): allow it in pg_hba.conf, or use another user in DATABASE_URL.`);
    case '3D000':
      return fix(`database "${database}" does not exist on ${host}:${port}: create it (CREATE DATABASE ${database}), or fix its name in DATABASE_URL.`);
    case '57P03':
      return fix(`PostgreSQL at ${where} is starting up or shutting down: start Dangus Cloud again in a moment.`);
    case '42501':
      return fix(`user "${user}" may not create the tables in ${where} (${firstLine(e.message)}): grant it CREATE on the database (or make it the owner).`);
    default:
      if (e.severity !== undefined || /^(connect|getaddrinfo)$/.test(e.syscall ?? '')) {
        return fix(`PostgreSQL at ${where} refused: ${firstLine(e.message)}: check DATABASE_URL and the server.`);
      }
      return undefined;
  }
}

function embeddedFailure(e: NodeJS.ErrnoException, dataDir: string): string | undefined {
  const text = e instanceof EmbeddedPostgresError ? e.output : e.message;
  if (!(e instanceof EmbeddedPostgresError) && !/Postgres init script failed|postgres/i.test(e.message)) return undefined;
  if (/Permission denied/i.test(text)) {
    const asRoot = process.getuid?.() === 0;
    const fix = asRoot
      ? 'as root it runs as the user "postgres", which must be able to enter every directory above it: chmod o+x them, or set DANGUS_DATA_DIR to a directory it can reach'
      : 'set DANGUS_DATA_DIR to a directory this user can write';
    return `DANGUS_DATA_DIR: the embedded PostgreSQL cannot use ${dataDir} (permission denied): ${fix}.`;
  }
  if (/lock file "postmaster\.pid" already exists/.test(text)) {
    const pid = /PID (\d+)/.exec(text)?.[1];
    return `DANGUS_DATA_DIR: another PostgreSQL${pid ? ` (PID ${pid})` : ''} already runs on ${dataDir}, probably a Dangus Cloud still running: stop it, or set DANGUS_DATA_DIR to another directory.`;
  }
  return `DANGUS_DATA_DIR: the embedded PostgreSQL in ${dataDir} did not start: ${firstLine(e.message)}.`;
}
