import { spawn } from 'node:child_process';
import { timingSafeEqual, createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { routeDocs } from '../openapi/describe.js';

/**
 * `/state.git`: the state repo, read-only over git's smart HTTP protocol, for
 * the applier, `git clone`, Flux or Argo CD (issue 4). `git http-backend` does
 * the protocol; this route authenticates (bearer token, or the token as the
 * password of basic auth, which is what git sends), refuses pushes, and
 * translates CGI.
 */
export function stateGitRoutes(options: {
  repoDir: string;
  token: string | undefined;
  logger: Logger;
  /** Brings the served copy up to date before refs are advertised (an api replica's mirror). */
  beforeAdvertise?: () => Promise<unknown>;
}): Router {
  const router = Router();
  const repoDir = resolve(options.repoDir);
  const expected = options.token ? digest(options.token) : undefined;

  const serve = async (req: Request, res: Response) => {
    if (!expected) {
      res.status(404).type('text').send('The state repo is not served: set STATE_REPO_TOKEN.\n');
      return;
    }
    const given = tokenOf(req);
    if (!given || !timingSafeEqual(digest(given), expected)) {
      res.status(401).set('WWW-Authenticate', 'Basic realm="dangus state repo"').type('text').send('Unauthorized.\n');
      return;
    }
    // An allowlist of the fetch protocol's two requests, and a query string of our
    // own: `?service=x&service=git-receive-pack` must not reach git as a push offer.
    const services = new URL(req.originalUrl, 'http://localhost').searchParams.getAll('service');
    if (req.path.includes('receive-pack') || services.some((s) => s.includes('receive-pack'))) {
      res.status(403).type('text').send('The state repo is read-only: the platform is its only writer.\n');
      return;
    }
    const advertise = req.method === 'GET' && req.path === '/info/refs' && services.length === 1 && services[0] === 'git-upload-pack';
    const fetch = req.method === 'POST' && req.path === '/git-upload-pack' && services.length === 0;
    if (!advertise && !fetch) {
      res.status(404).type('text').send('Only git fetch over smart HTTP is served here (info/refs?service=git-upload-pack, git-upload-pack).\n');
      return;
    }
    if (advertise && options.beforeAdvertise) {
      try {
        await options.beforeAdvertise();
      } catch {
        res.status(503).set('Retry-After', '1').type('text').send('The state repo is catching up: try again.\n');
        return;
      }
    }
    serveGitCgi(req, res, {
      repoDir,
      logger: options.logger,
      remoteUser: 'dangus-reader',
      queryString: advertise ? 'service=git-upload-pack' : '',
    });
  };
  // The fetch protocol's two requests; anything else under /state.git gets `serve`'s refusal.
  const doc = routeDocs(router, { tag: 'State repo', access: 'public' });
  const auth = 'Authenticated by STATE_REPO_TOKEN, as a bearer token or as the password of basic auth (`git clone http://x:$STATE_REPO_TOKEN@host/state.git`); 401 otherwise, 404 when no token is set. Pushes are refused (403).';
  doc.get('/info/refs', { summary: 'Git smart HTTP: the refs of the state repo', description: auth, query: z.object({ service: z.literal('git-upload-pack') }), produces: { type: 'application/x-git-upload-pack-advertisement', description: 'Git\'s ref advertisement.' }, plainErrors: true, errors: [401, 403, 404, 503] });
  router.get('/info/refs', serve);
  doc.post('/git-upload-pack', { summary: 'Git smart HTTP: fetch from the state repo', description: auth, produces: { type: 'application/x-git-upload-pack-result', description: 'Git\'s pack.' }, plainErrors: true, errors: [401, 403, 404] });
  router.post('/git-upload-pack', serve);
  router.use(serve);
  return router;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function tokenOf(req: Request): string | undefined {
  const header = req.get('authorization') ?? '';
  const bearer = /^Bearer (.+)$/i.exec(header);
  if (bearer?.[1]) return bearer[1];
  const basic = /^Basic (.+)$/i.exec(header);
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}

/**
 * Runs `git http-backend` for one request and streams its CGI answer. With a
 * `remoteUser`, git allows pushes unless the route refused them first.
 */
export function serveGitCgi(
  req: Request,
  res: Response,
  { repoDir, logger, remoteUser, queryString }: { repoDir: string; logger: Logger; remoteUser: string; queryString?: string },
): void {
  const url = new URL(req.originalUrl, 'http://localhost');
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: dirname(repoDir),
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${basename(repoDir)}${req.path === '/' ? '' : req.path}`,
      REQUEST_METHOD: req.method,
      QUERY_STRING: queryString ?? url.search.slice(1),
      CONTENT_TYPE: req.get('content-type') ?? '',
      HTTP_CONTENT_ENCODING: req.get('content-encoding') ?? '',
      GIT_PROTOCOL: req.get('git-protocol') ?? '',
      REMOTE_USER: remoteUser,
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
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
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') res.status(Number.parseInt(value, 10) || 500);
      else res.setHeader(name, value);
    }
    res.write(head.subarray(end + 4));
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()).length);
  child.on('error', (error) => {
    logger.error({ err: error }, 'git http-backend failed to start');
    if (!res.headersSent) res.status(500).type('text').send('git is unavailable.\n');
  });
  child.on('close', (code) => {
    if (code !== 0) logger.warn({ code, stderr: stderr.slice(0, 2000) }, 'git http-backend failed');
    if (!headersDone && !res.headersSent) res.status(500).type('text').send('The state repo could not be served.\n');
    res.end();
  });
}
