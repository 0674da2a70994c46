// An npm registry mirror with no internet behind it: it serves exactly the packages of a
// package-lock.json, from the npm cache that `npm ci` fills on this machine (read with
// `cacache`, npm's own cache library), so an `npm ci` pointed at it (NPM_CONFIG_REGISTRY)
// installs the lock file's tree and nothing else. The lock file names no `resolved` URLs
// (`omit-lockfile-registry-resolved`), so npm asks the configured registry for each
// package's document (`GET /{name}`) and then its tarball (`GET /{name}/-/{file}.tgz`).
//
// - A document is the one npm cached (`make-fetch-happen:request-cache:{registry}/{name}`),
//   cut to the lock file's versions, its tarball URLs pointing here; without one cached, a
//   document made from the lock file (name, version, integrity).
// - A tarball is the cache's content for the lock file's integrity: what npm verifies anyway.
// - Anything else (a version or package not in the lock file, one the cache lacks, such as
//   another platform's optional binary) answers 404, as the registry does for a missing one.
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import cacache from 'cacache';

export interface NpmMirror {
  /** http://host:port/ : NPM_CONFIG_REGISTRY for a client. */
  url: string;
  /** Every request answered, in order: path and status. */
  requests: { path: string; status: number }[];
  stop(): Promise<void>;
}

interface Locked { version: string; integrity: string }

const NPM_REGISTRY = 'https://registry.npmjs.org/';

/** name → its versions in the lock file, with their integrity. */
export async function lockedPackages(lockfile: string): Promise<Map<string, Locked[]>> {
  const lock = JSON.parse(await readFile(lockfile, 'utf8')) as {
    packages: Record<string, { name?: string; version?: string; integrity?: string; link?: boolean; inBundle?: boolean }>;
  };
  const packages = new Map<string, Locked[]>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    const at = path.lastIndexOf('node_modules/');
    if (at < 0 || entry.link || entry.inBundle || !entry.version || !entry.integrity) continue;
    const name = entry.name ?? path.slice(at + 'node_modules/'.length);
    const versions = packages.get(name) ?? [];
    if (!versions.some((v) => v.version === entry.version)) versions.push({ version: entry.version, integrity: entry.integrity });
    packages.set(name, versions);
  }
  return packages;
}

/** The npm cache folder (`npm config get cache` + `_cacache`, by default ~/.npm/_cacache). */
export function npmCacheDir(): string {
  const cache = process.env.npm_config_cache ?? process.env.NPM_CONFIG_CACHE ?? join(homedir(), '.npm');
  return join(cache, '_cacache');
}

export async function startNpmMirror(opts: { host: string; lockfile: string; cacheDir?: string; port?: number }): Promise<NpmMirror> {
  const cacheDir = opts.cacheDir ?? npmCacheDir();
  const packages = await lockedPackages(opts.lockfile);
  const requests: { path: string; status: number }[] = [];
  let url = '';

  const packument = async (name: string, versions: Locked[]): Promise<Buffer> => {
    const tarball = (version: string) => `${url}${name}/-/${name.replace(/^@[^/]+\//, '')}-${version}.tgz`;
    const served = new Set(versions.map((v) => v.version));
    const key = `make-fetch-happen:request-cache:${NPM_REGISTRY}${name.replace('/', '%2f')}`;
    const cached = await cacache.get(cacheDir, key).then((entry) => entry.data, () => undefined);
    if (cached) {
      const doc = JSON.parse(cached.toString()) as { versions?: Record<string, { dist?: { tarball?: string } }>; 'dist-tags'?: Record<string, string> };
      const kept = Object.fromEntries(
        Object.entries(doc.versions ?? {})
          .filter(([version]) => served.has(version))
          .map(([version, manifest]) => [version, { ...manifest, dist: { ...manifest.dist, tarball: tarball(version) } }]),
      );
      const tags = Object.fromEntries(Object.entries(doc['dist-tags'] ?? {}).filter(([, version]) => served.has(version)));
      const last = versions.at(-1)?.version;
      return Buffer.from(JSON.stringify({ ...doc, versions: kept, 'dist-tags': { ...(last ? { latest: last } : {}), ...tags } }));
    }
    return Buffer.from(JSON.stringify({
      name,
      'dist-tags': { latest: versions.at(-1)?.version },
      versions: Object.fromEntries(versions.map((v) => [v.version, { name, version: v.version, dist: { integrity: v.integrity, tarball: tarball(v.version) } }])),
    }));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405);
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://mirror').pathname).slice(1);
    const split = path.indexOf('/-/');
    if (split < 0) {
      const versions = packages.get(path);
      if (!versions) return send(res, 404);
      const body = await packument(path, versions);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
      return 200;
    }
    const name = path.slice(0, split);
    const file = path.slice(split + 3);
    const locked = packages.get(name)?.find((v) => file === `${name.replace(/^@[^/]+\//, '')}-${v.version}.tgz`);
    if (!locked || !(await cacache.get.hasContent(cacheDir, locked.integrity))) return send(res, 404);
    const body = await cacache.get.byDigest(cacheDir, locked.integrity);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return 200;
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).then(
      (status) => requests.push({ path: req.url ?? '', status }),
      (error: unknown) => {
        requests.push({ path: req.url ?? '', status: 500 });
        if (!res.headersSent) res.writeHead(500);
        res.end(String(error));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host, resolve);
  });
  const address = server.address();
  url = `http://${opts.host}:${String(typeof address === 'object' && address ? address.port : 0)}/`;
  return {
    url,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function send(res: ServerResponse, status: number): number {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ error: status === 404 ? 'Not found' : 'Method not allowed' }));
  return status;
}
