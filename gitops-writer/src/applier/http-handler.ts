/**
 * The applier's HTTP surface: `POST /notify` (the api calls it after each commit),
 * `GET /status` (the status as JSON), `GET /healthz`. A plain node handler, so it
 * mounts in the standalone process and in an Express app alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Applier } from './applier.js';

/** A request handler for `applier`; answers 404 for any other path. */
export function applierHttpHandler(applier: Pick<Applier, 'notify' | 'status'>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/notify' && req.method === 'POST') {
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
