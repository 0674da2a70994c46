/**
 * A graceful stop of the api, as a rolling upgrade does it: on SIGTERM a webhook
 * already being received is still answered and recorded, live streams end (so
 * browsers reconnect to another replica), no new connection is taken, and the
 * process exits cleanly.
 */
import { connect, type Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { deliveryHeaders, pushPayload } from '@dangus/api/test-support/webhook-payloads';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';

describe('the api stopping on SIGTERM', () => {
  let api: ApiProcess;

  beforeAll(async () => {
    api = await startApiProcess({ SHUTDOWN_GRACE_SECONDS: '20' });
  }, 120_000);

  afterAll(async () => {
    await api.stop();
  });

  it('answers the webhook in flight, ends the live stream with a retry hint, takes no new connection, and exits 0', async () => {
    const headers = { Origin: api.origin, 'Content-Type': 'application/json' };
    const signIn = await fetch(`${api.origin}/auth/local`, { method: 'POST', headers: { Origin: api.origin } });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const project = (await (await fetch(`${api.origin}/api/projects`, { method: 'POST', headers: { ...headers, Cookie: cookie }, body: JSON.stringify({ name: 'drain' }) })).json()) as { id: string };
    const service = (await (
      await fetch(`${api.origin}/api/projects/${project.id}/services`, {
        method: 'POST',
        headers: { ...headers, Cookie: cookie },
        body: JSON.stringify({ name: 'web', repoUrl: 'https://github.com/acme/web', port: 8080 }),
      })
    ).json()) as { id: string; webhookSecret: string };

    // A live stream, open.
    const stream = await fetch(`${api.origin}/api/events`, { headers: { Cookie: cookie } });
    expect(stream.status).toBe(200);
    let streamed = '';
    const streamEnded = stream.text().then((text) => {
      streamed = text;
      return 'ended';
    });

    // A delivery whose body is still arriving when SIGTERM comes.
    const body = JSON.stringify(pushPayload({ repo: 'acme/web', ref: 'refs/heads/main' }));
    const port = Number(new URL(api.origin).port);
    const socket: Socket = connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    let answer = '';
    /** Resolves once the bytes received so far match `pattern`. */
    const received = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!pattern.test(answer)) return;
          socket.off('data', check);
          resolve();
        };
        socket.on('data', check);
        check();
      });
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    const head = Object.entries({
      Host: 'x',
      ...deliveryHeaders(service.webhookSecret, body, 'push', randomUUID()),
      'Content-Length': String(Buffer.byteLength(body)),
      // The server says `100 Continue` once the request is in flight (Node's default): the moment SIGTERM must come after.
      Expect: '100-continue',
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    const inFlight = received(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    socket.write(`POST /webhooks/github/${service.id} HTTP/1.1\r\n${head}\r\n${body.slice(0, 100)}`);
    await inFlight;

    api.terminate();
    // The stream ends at the SIGTERM, not at the exit: the process waits for the delivery's body.
    expect(await streamEnded).toBe('ended');
    expect(api.exitCode).toBeNull();
    // Its last words tell the browser to come back soon: another replica answers.
    expect(streamed.endsWith('retry: 250\n\n')).toBe(true);
    // No new connection is taken while it drains.
    await expect(fetch(`${api.origin}/healthz`)).rejects.toThrow();

    const answered = received(/\r\n\r\nHTTP\/1\.1 \d{3} [^\r]*\r\n[\s\S]*\r\n\r\n[\s\S]*"outcome":"[^"]+"/);
    socket.write(body.slice(100));
    await Promise.race([answered, api.exited.then((code) => Promise.reject(new Error(`exited (${String(code)}) without answering: ${answer}`)))]);
    expect(answer.split('\r\n\r\n')[1]?.split('\r\n')[0]).toBe('HTTP/1.1 202 Accepted');
    expect(answer).toContain('"outcome":"deployed"');
    socket.destroy();

    expect(await api.exited).toBe(0);
  });
});
