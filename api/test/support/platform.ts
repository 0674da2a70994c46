import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { GitHubApp } from '../../src/github/github-app.js';
import type { DataSource } from 'typeorm';
import { RecordingStateSink } from '../../src/state-repo/state-sink.js';
import { loadConfig } from '../../src/config/config.js';
import { OctokitGitHubApi } from '../../src/github/github-api.js';
import { createPlatform } from '../../src/server.js';
import type { SessionStore } from '../../src/auth/sessions.js';
import type { Drain } from '../../src/http/drain.js';
import type { WebhookRouteOptions } from '../../src/http/routes/webhooks.js';
import { openStateWriter } from '../../src/state-repo/state-writer.js';
import { Encryptor } from '../../src/crypto/encryption.js';
import { createTestDatabase } from './database.js';
import type { Applier } from '@dangus/applier';
import { loadKubeConfig } from '../../src/kube/kube-config.js';
import { startInProcessApplier } from '../../src/kube/in-process-applier.js';
import { commitPokes } from '../../src/state-repo/commit-pokes.js';
import { clusterReaders } from '../../src/kube/cluster-readers.js';
import { startPipeline, tenantSecretsFor, type RunningPipeline } from '../../src/pipeline/start-pipeline.js';
import { watchNodeAddresses } from '../../src/pipeline/node-addresses.js';
import { FakeGitHub } from './fake-github.js';
import { ObservedEventBus } from './observed-event-bus.js';

export const ORIGIN = 'http://127.0.0.1:3000';

export interface TestPlatform {
  app: ReturnType<typeof createPlatform>['app'];
  db: DataSource;
  github: FakeGitHub;
  stateSink: RecordingStateSink;
  /** The real state-repo writer, when started with `{ stateRepo: true }`. */
  writer: Awaited<ReturnType<typeof openStateWriter>> | undefined;
  stateRepoDir: string;
  encryptionKey: Buffer;
  /** The pipeline and the applier, when started with `{ cluster }`. */
  pipeline: RunningPipeline | undefined;
  applier: Applier | undefined;
  /** The api's event bus, which tells when a stream has subscribed. */
  events: ObservedEventBus;
  sessions: SessionStore;
  encryptor: Encryptor;
  /** The HTTP side's graceful stop, as main.ts starts it on SIGTERM. */
  drain: Drain;
  /** Signs in through the whole OAuth flow against the fake GitHub; returns the Cookie header. */
  signIn(login: string, id: number): Promise<string>;
  /** The same flow, whatever its outcome: where the callback sent the browser, and the session cookie if any. */
  attemptSignIn(login: string, id: number): Promise<{ location: string; cookie: string }>;
  close(): Promise<void>;
}

/**
 * The real api (config, Express app, use cases) on a fresh real database, with
 * GitHub OAuth pointed at the fake GitHub.
 */
export async function startTestPlatform(
  env: Record<string, string> = {},
  options: {
    stateRepo?: boolean;
    /** Applies the state repo to this cluster in-process and runs the pipeline against it (implies stateRepo). */
    cluster?: { kubeconfig: string; tuning?: Parameters<typeof startPipeline>[0]['tuning'] };
    /** Limits of webhook bodies (the production defaults otherwise). */
    webhooks?: WebhookRouteOptions;
    /** A fake GitHub the test started (e.g. with its git server); stopped by close(). */
    github?: FakeGitHub;
    /** The built UI to serve (`ui/dist`), for a browser; none by default. */
    uiDir?: string;
  } = {},
): Promise<TestPlatform> {
  const github = options.github ?? new FakeGitHub();
  if (!options.github) await github.start();
  const database = await createTestDatabase();
  const encryptionKey = randomBytes(32);
  const config = loadConfig({
    DATABASE_URL: database.url,
    PUBLIC_URL: ORIGIN,
    ENCRYPTION_KEY: encryptionKey.toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    GITHUB_CLIENT_ID: github.clientId,
    GITHUB_CLIENT_SECRET: github.clientSecret,
    GITHUB_WEB_URL: github.url,
    GITHUB_API_URL: github.url,
    // Most tests sign in many users and make many objects: open sign-in, no limits.
    // The tests of the policy and of the limits set their own values.
    ALLOWED_GITHUB_USERS: '*',
    MAX_PROJECTS_PER_USER: '0',
    MAX_SERVICES_PER_PROJECT: '0',
    MAX_ENV_VARS_PER_SERVICE: '0',
    MAX_ENV_BYTES_PER_SERVICE: '0',
    MAX_STREAMS_PER_USER: '0',
    MAX_HISTORY_REQUESTS_PER_USER: '0',
    ...env,
  });
  if (!config.encryption.key || !config.sessionSecret) throw new Error('test config lacks secrets');
  const stateSink = new RecordingStateSink();
  const logger = pino({ level: process.env.DANGUS_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));
  let stateRepoDir: string | undefined;
  let writer: Awaited<ReturnType<typeof openStateWriter>> | undefined;
  const kube = options.cluster ? await loadKubeConfig(options.cluster.kubeconfig) : undefined;
  let applier: ReturnType<typeof startInProcessApplier> | undefined;
  const pokes = commitPokes(config, kube, logger);
  const tenantSecrets = kube ? tenantSecretsFor(kube, { db: database.dataSource, encryptor: new Encryptor('k1', encryptionKey), logger }) : undefined;
  if (options.stateRepo || options.cluster) {
    stateRepoDir = await mkdtemp(join(tmpdir(), 'dangus-state-'));
    const withRepo = { ...config, stateRepoDir: join(stateRepoDir, 'state.git') };
    writer = await openStateWriter({
      config: withRepo,
      db: database.dataSource,
      encryptor: new Encryptor('k1', encryptionKey),
      encryptionKey,
      logger,
      ...(tenantSecrets ? { effects: tenantSecrets } : {}),
      onCommit: () => {
        applier?.notify();
        for (const poke of pokes) poke.poke();
      },
    });
    // As main.ts: the in-process applier unless APPLIER=external, and the pokes the settings ask for.
    if (kube && config.applier === 'builtin') applier = startInProcessApplier({ kube, stateRepoDir: withRepo.stateRepoDir, logger });
    config.stateRepoDir = withRepo.stateRepoDir;
  }
  const events = new ObservedEventBus();
  const gitHubApi = new OctokitGitHubApi(github.url);
  const pipeline =
    kube && writer && tenantSecrets
      ? startPipeline({
          kube,
          config,
          db: database.dataSource,
          encryptor: new Encryptor('k1', encryptionKey),
          stateSink: writer.sink,
          tenantSecrets,
          github: gitHubApi,
          // As the controller: the same App the api reads (its row, or GITHUB_APP_*).
          githubApp: new GitHubApp({ db: database.dataSource, encryptor: new Encryptor('k1', encryptionKey), fromEnvironment: config.github.app, webUrl: config.github.webUrl, apiUrl: config.github.apiUrl }),
          events,
          logger,
          ...(options.cluster?.tuning ? { tuning: options.cluster.tuning } : {}),
        })
      : undefined;
  // As the controller: tenants' egress policies deny the nodes' addresses.
  const nodes = kube && writer ? await watchNodeAddresses(kube, writer.sink, logger) : undefined;
  const { app, sessions, encryptor, ctx, drain } = createPlatform({
    events,
    ...(pipeline ? { pipeline: pipeline.pipeline } : {}),
    config: { ...config, sessionSecret: config.sessionSecret, encryption: { ...config.encryption, key: config.encryption.key } },
    db: database.dataSource,
    logger,
    stateSink: writer?.sink ?? stateSink,
    ...(writer ? { stateRepo: writer.repo, stateHistory: writer.history } : {}),
    ...(kube ? clusterReaders(kube, logger, { metricsSampleMs: config.metricsSampleMs, logRescanMs: 500, pods: pipeline?.watcher }) : {}),
    ...(writer?.pusher ? { statePusher: writer.pusher } : {}),
    github: gitHubApi,
    uiDir: options.uiDir ?? '/nonexistent',
    ...(options.webhooks ? { webhooks: options.webhooks } : {}),
  });

  async function attemptSignIn(login: string, id: number): Promise<{ location: string; cookie: string }> {
    github.user = { id, login };
    const begin = await request(app).get('/auth/github').expect(302);
    const oauthCookie = cookiesOf(begin.headers['set-cookie']);
    const consent = await fetch(String(begin.headers.location), { redirect: 'manual' });
    const callback = new URL(consent.headers.get('location') ?? '');
    const done = await request(app)
      .get(`${callback.pathname}${callback.search}`)
      .set('Cookie', oauthCookie)
      .expect(302);
    const session = cookiesOf(done.headers['set-cookie']).split('; ').filter((c) => c.startsWith('dangus_session=') && c !== 'dangus_session=');
    return { location: String(done.headers.location), cookie: session.join('; ') };
  }

  async function signIn(login: string, id: number): Promise<string> {
    const attempt = await attemptSignIn(login, id);
    if (attempt.location !== '/') throw new Error(`sign-in failed: ${attempt.location}`);
    return attempt.cookie;
  }

  return {
    app,
    db: database.dataSource,
    github,
    stateSink,
    writer,
    stateRepoDir: config.stateRepoDir,
    encryptionKey,
    pipeline,
    applier,
    events,
    sessions,
    encryptor,
    drain,
    signIn,
    attemptSignIn,
    async close() {
      writer?.pusher?.stop();
      writer?.history.stop();
      ctx.serviceMetrics?.stop();
      await nodes?.stop();
      await pipeline?.stop();
      await applier?.stop();
      await github.stop();
      await database.drop();
      if (stateRepoDir) await rm(stateRepoDir, { recursive: true, force: true });
    },
  };
}

/** `name=value` pairs of Set-Cookie headers, ready for a Cookie header (cleared cookies dropped). */
export function cookiesOf(setCookie: unknown): string {
  const list = Array.isArray(setCookie) ? (setCookie as string[]) : typeof setCookie === 'string' ? [setCookie] : [];
  return list
    .map((c) => c.split(';')[0] ?? '')
    // A cleared cookie is `name=`; a value may end in base64's `=` padding.
    .filter((pair) => pair.length > 0 && !/^[^=]*=$/.test(pair))
    .join('; ');
}
