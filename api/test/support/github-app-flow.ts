import request from 'supertest';
import type { FakeApp, FakeDelivery } from './fake-github-app.js';
import { ORIGIN, type TestPlatform } from './platform.js';

/*
 * The GitHub App in tests: connecting one through the manifest flow as a browser does,
 * and posting the fake's signed deliveries to the App's webhook.
 */

/**
 * The manifest flow as a browser runs it: the System page's form, GitHub's form, GitHub's
 * redirect back. Without Jest's expect: the benchmarks run it too.
 */
export async function beginFlow(t: TestPlatform, cookie: string, body: Record<string, unknown> = { owner: 'user' }) {
  const begin = await request(t.app).post('/api/system/github-app/manifest').set('Cookie', cookie).set('Origin', ORIGIN).send(body);
  if (begin.status !== 200) throw new Error(`the manifest flow did not begin: ${String(begin.status)} ${JSON.stringify(begin.body)}`);
  const { action, manifest } = begin.body as { action: string; manifest: string };
  const posted = await fetch(action, { method: 'POST', body: new URLSearchParams({ manifest }), redirect: 'manual' });
  if (posted.status !== 302) throw new Error(`GitHub's form answered ${String(posted.status)}, not its redirect back`);
  const back = new URL(posted.headers.get('location') ?? '');
  return { action, manifest: JSON.parse(manifest) as Record<string, unknown>, back, path: `${back.pathname}${back.search}` };
}

/** Connects the fake's App through the manifest flow, as an admin does on the System page. */
export async function connect(t: TestPlatform, cookie: string): Promise<FakeApp> {
  const flow = await beginFlow(t, cookie);
  const done = await request(t.app).get(flow.path).set('Cookie', cookie);
  if (done.status !== 302 || done.headers.location !== '/system?github=connected') {
    throw new Error(`the App was not connected: ${String(done.status)} ${String(done.headers.location)}`);
  }
  const [app] = [...t.github.app.apps.values()];
  if (!app) throw new Error('no App was made');
  return app;
}

export function post(t: TestPlatform, delivery: FakeDelivery) {
  return request(t.app).post('/webhooks/github').set(delivery.headers).send(delivery.body);
}

