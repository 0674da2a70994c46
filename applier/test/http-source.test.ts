/**
 * HttpRepoSource against a real smart-HTTP server: a bare repo built with the
 * git CLI, served on loopback by `git http-backend` (CGI) behind a bearer/basic
 * token check. Clone, fetch of a new commit, wrong token, server down.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { SourceError } from '../src/errors.js';
import { HttpRepoSource } from '../src/http-source.js';
import { git, tempDir } from './support/git.js';

const TOKEN = 'tok-s3cret-1234567890';

/** The token of a request: `Bearer <token>` or basic auth whose password is the token. */
function tokenOf(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization ?? '';
  if (header.startsWith('Bearer ')) return header.slice('Bearer '.length);
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

/** `git http-backend` as CGI for the bare repo `<root>/state.git`. */
function handler(root: string, requests: string[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    if (tokenOf(req) !== TOKEN) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="state"' }).end('unauthorized');
      return;
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: tmpdir(),
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        REQUEST_METHOD: req.method ?? 'GET',
        QUERY_STRING: url.search.replace(/^\?/, ''),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-encoding'] === undefined ? {} : { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] }),
        ...(req.headers['git-protocol'] === undefined ? {} : { GIT_PROTOCOL: String(req.headers['git-protocol']) }),
      },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    req.pipe(child.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + 4));
    });
    child.on('close', () => {
      if (!headersDone) res.writeHead(502);
      res.end();
    });
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** Writes `files` into the work tree, commits and pushes to the bare repo; returns the commit. */
function commit(work: string, files: Record<string, string>, message: string): string {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  const gitdir = join(work, '.git');
  git(gitdir, '--work-tree', work, 'add', '-A');
  git(gitdir, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', '--work-tree', work, 'commit', '-q', '-m', message);
  git(gitdir, 'push', '-q', 'origin', 'main');
  return git(gitdir, 'rev-parse', 'HEAD').trim();
}

const NS = (name: string): string => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

let dir: { path: string; remove: () => Promise<void> };
let server: Server;
let url: string;
let requests: string[];
let work: string;

beforeEach(async () => {
  dir = await tempDir('dangus-http-source-');
  const bare = join(dir.path, 'root', 'state.git');
  work = join(dir.path, 'work');
  mkdirSync(bare, { recursive: true });
  mkdirSync(work);
  git(bare, 'init', '-q', '--bare', '-b', 'main');
  git(join(work, '.git'), 'init', '-q', '-b', 'main', work);
  git(join(work, '.git'), 'remote', 'add', 'origin', bare);
  requests = [];
  server = createServer(handler(join(dir.path, 'root'), requests));
  url = `http://127.0.0.1:${await listen(server)}/state.git`;
});
afterEach(async () => {
  await close(server);
  await dir.remove();
});

const source = (token = TOKEN): HttpRepoSource => new HttpRepoSource({ url, token, cacheDir: join(dir.path, 'cache'), branch: 'main' });

describe('HttpRepoSource', () => {
  it('when the remote has commits, then resolve() clones its head and files() reads the manifests under tenants/', async () => {
    const head = commit(
      work,
      {
        'tenants/ab12cd-shop/namespace.yaml': NS('ab12cd-shop'),
        'tenants/ab12cd-shop/kustomization.yaml': 'resources: [namespace.yaml]\n',
        'README.md': '# state\n',
      },
      'create shop',
    );

    const repo = source();
    await expect(repo.resolve()).resolves.toBe(head);
    const files = await repo.files(head);
    expect(files).toEqual([{ path: 'tenants/ab12cd-shop/namespace.yaml', text: NS('ab12cd-shop') }]);
    expect(requests).toContain('GET /state.git/info/refs');
    expect(requests).toContain('POST /state.git/git-upload-pack');
  });

  it('when the remote gets a new commit, then the next resolve() fetches it, and a fresh source reuses the cache', async () => {
    const first = commit(work, { 'tenants/ab12cd-shop/namespace.yaml': NS('ab12cd-shop') }, 'create shop');
    const repo = source();
    await expect(repo.resolve()).resolves.toBe(first);

    const second = commit(work, { 'tenants/ef34gh-blog/namespace.yaml': NS('ef34gh-blog') }, 'create blog');
    await expect(repo.resolve()).resolves.toBe(second);
    expect((await repo.files(second)).map((f) => f.path)).toEqual(['tenants/ab12cd-shop/namespace.yaml', 'tenants/ef34gh-blog/namespace.yaml']);
    expect((await repo.files(first)).map((f) => f.path)).toEqual(['tenants/ab12cd-shop/namespace.yaml']);

    // Same cache dir, new process: fetches what is new on top of what is there.
    await expect(source().resolve()).resolves.toBe(second);
  });

  it('when the remote branch is rewritten (force-push), then resolve() follows it', async () => {
    commit(work, { 'tenants/ab12cd-shop/namespace.yaml': NS('ab12cd-shop') }, 'one');
    const repo = source();
    await repo.resolve();
    const gitdir = join(work, '.git');
    git(gitdir, '--work-tree', work, 'reset', '-q', '--hard', 'HEAD');
    git(gitdir, '-c', 'user.name=Test', '-c', 'user.email=test@example.com', '--work-tree', work, 'commit', '-q', '--amend', '-m', 'rewritten');
    git(gitdir, 'push', '-q', '--force', 'origin', 'main');
    const rewritten = git(gitdir, 'rev-parse', 'HEAD').trim();
    await expect(repo.resolve()).resolves.toBe(rewritten);
  });

  it('when the remote repo has no commit yet, then resolve() returns null', async () => {
    await expect(source().resolve()).resolves.toBeNull();
  });

  it('when the token is wrong, then resolve() rejects with a SourceError naming the URL and not the token', async () => {
    commit(work, { 'tenants/ab12cd-shop/namespace.yaml': NS('ab12cd-shop') }, 'create shop');
    const error: unknown = await source('wrong-token-0987654321').resolve().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    const message = (error as SourceError).message;
    expect(message).toContain(url);
    expect(message).toMatch(/401/);
    expect(message).not.toContain('wrong-token-0987654321');
    expect(message).not.toContain(TOKEN);
  });

  it('when the server is down, then resolve() rejects with a SourceError, and succeeds once it is back', async () => {
    const head = commit(work, { 'tenants/ab12cd-shop/namespace.yaml': NS('ab12cd-shop') }, 'create shop');
    const port = Number(new URL(url).port);
    await close(server);
    const repo = source();
    const error: unknown = await repo.resolve().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as SourceError).message).toContain(url);
    expect((error as SourceError).message).not.toContain(TOKEN);

    server = createServer(handler(join(dir.path, 'root'), requests));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await expect(repo.resolve()).resolves.toBe(head);
  });

  it('when the server does not answer, then resolve() rejects with a SourceError after the timeout', async () => {
    await close(server);
    const silent = createServer(() => undefined);
    const port = await listen(silent);
    try {
      const repo = new HttpRepoSource({ url: `http://127.0.0.1:${port}/state.git`, token: TOKEN, cacheDir: join(dir.path, 'cache'), timeoutMs: 300 });
      const error: unknown = await repo.resolve().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceError);
      expect((error as SourceError).message).toMatch(/timed out after 300 ms/);
    } finally {
      await close(silent);
    }
    server = createServer(handler(join(dir.path, 'root'), requests));
    await listen(server);
  });
});
