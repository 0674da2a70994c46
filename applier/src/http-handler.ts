/**
 * The applier's HTTP surface: `POST /notify` (a commit landed), `GET /status` (the
 * status as JSON: every tenant's namespaces and errors), `GET /healthz`. With a
 * token, `/notify` and `/status` need `Authorization: Bearer <token>`; the probe
 * stays open. A plain node handler, so it mounts in the standalone process and in
 * an Express app alike.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Applier } from './applier.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** A request handler for `applier`; answers 404 for any other path. */
export function applierHttpHandler(
  applier: Pick<Applier, 'notify' | 'status'>,
  options: { token?: string | undefined } = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const expected = options.token ? digest(options.token) : undefined;
  const authorized = (req: IncomingMessage) => {
    if (!expected) return true;
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if ((path === '/notify' || path === '/status') && !authorized(req)) {
      req.resume();
      send(res, 401, { error: 'unauthorized: send Authorization: Bearer <APPLIER_TOKEN>' });
    } else if (path === '/notify' && req.method === 'POST') {
      // The body is not read: a notify carries no data, the applier reads the repo.
      req.resume();
      applier.notify();
      send(res, 202, { accepted: true });
    } else if (path === '/status' && req.method === 'GET') {
      send(res, 200, applier.status());
    } else if (path === '/healthz' && req.method === 'GET') {
      send(res, 200, { ok: true });
    } else {
      send(res, 404, { error: 'not found' });
    }
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
