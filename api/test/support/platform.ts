import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import type { Applier } from '@dangus/applier';
import { loadConfig } from '../../src/config/config.js';
import { OctokitGitHubApi } from '../../src/github/github-api.js';
import type { SessionStore } from '../../src/auth/sessions.js';
import type { Drain } from '../../src/http/drain.js';
import type { WebhookRouteOptions } from '../../src/http/routes/webhooks.js';
import type { Encryptor } from '../../src/crypto/encryption.js';
import { loadKubeConfig } from '../../src/kube/kube-config.js';
import type { RunningPipeline, PipelineTuning } from '../../src/pipeline/start-pipeline.js';
import type { StateSink, TenantChange } from '../../src/state-repo/state-sink.js';
import { composeRole, type Platform, type RunningRole } from '../../src/roles/compose.js';
import type { RunningController } from '../../src/roles/controller.js';
import { createTestDatabase } from './database.js';
import { FakeGitHub } from './fake-github.js';
import { ObservedEventBus } from './observed-event-bus.js';

export const ORIGIN = 'http://127.0.0.1:3000';

export interface TestPlatform {
  app: Platform['app'];
  db: DataSource;
  github: FakeGitHub;
  /** The door every change goes through (the outbox), as the app and the pipeline use it. */
  stateSink: StateSink;
  /** The process as the composition root made it (role `all`). */
  role: RunningRole;
  /** The leading controller (this process leads from the start). */
  controller: RunningController;
  /** The leading controller's state-repo writer. */
  writer: RunningController['writer'];
  stateRepoDir: string;
  /** The state repo's commit subjects, newest first (`git log --format=%s`). */
  commitSubjects(): Promise<string[]>;
  /** The changes the outbox recorded, oldest first, each with whether the controller has committed it. */
  intents(): Promise<Array<TenantChange & { done: boolean }>>;
  encryptionKey: Buffer;
  /** The pipeline and the applier, when started with `{ cluster }`. */
  pipeline: RunningPipeline | undefined;
  applier: Applier | undefined;
  /** The event bus (through PostgreSQL, as production's), which tells when a stream has subscribed. */
  events: ObservedEventBus;
  sessions: SessionStore;
  encryptor: Encryptor;
  /** The HTTP side's graceful stop, as main.ts starts it on SIGTERM. */
  drain: Drain;
  /** What the use cases get, for a test that calls one directly. */
  ctx: Platform['ctx'];
  /** Signs in through the whole OAuth flow against the fake GitHub; returns the Cookie header. */
  signIn(login: string, id: number): Promise<string>;
  /** The same flow, whatever its outcome: where the callback sent the browser, and the session cookie if any. */
  attemptSignIn(login: string, id: number): Promise<{ location: string; cookie: string }>;
  close(): Promise<void>;
}

/**
 * The real process of role `all`, assembled by the composition root main.ts uses
 * (roles/compose.ts): the api with its outbox, the leader election and the leading
 * controller (state-repo writer in a temporary directory, intents, and with `{ cluster }`
 * the pipeline and the in-process applier), on a fresh real database, with GitHub OAuth
 * pointed at the fake GitHub. It resolves once the controller leads.
 */
export async function startTestPlatform(
  env: Record<string, string> = {},
  options: {
    /** Runs the pipeline and the in-process applier against this cluster. */
    cluster?: { kubeconfig: string; tuning?: PipelineTuning };
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
  const stateDir = await mkdtemp(join(tmpdir(), 'dangus-state-'));
  const config = loadConfig({
    DATABASE_URL: database.url,
    PUBLIC_URL: ORIGIN,
    ENCRYPTION_KEY: encryptionKey.toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    GITHUB_CLIENT_ID: github.clientId,
    GITHUB_CLIENT_SECRET: github.clientSecret,
    GITHUB_WEB_URL: github.url,
    GITHUB_API_URL: github.url,
    STATE_REPO_DIR: join(stateDir, 'state.git'),
    // Most tests sign in many users and make many objects: open sign-in, no limits.
    // The tests of the policy and of the limits set their own values.
    ALLOWED_GITHUB_USERS: '*',
    MAX_PROJECTS_PER_USER: '0',
    MAX_SERVICES_PER_PROJECT: '0',
    MAX_ENV_VARS_PER_SERVICE: '0',
    MAX_ENV_BYTES_PER_SERVICE: '0',
    MAX_STREAMS_PER_USER: '0',
    MAX_HISTORY_REQUESTS_PER_USER: '0',
    MAX_TEAMS_PER_USER: '0',
    MAX_PROJECTS_PER_TEAM: '0',
    MAX_SERVICES_PER_TEAM: '0',
    ...env,
  });
  const { sessionSecret } = config;
  const key = config.encryption.key;
  if (!key || !sessionSecret) throw new Error('test config lacks secrets');
  const logger = pino({ level: process.env.DANGUS_TEST_LOG_LEVEL ?? 'silent' }, pino.destination(2));
  const kube = options.cluster ? await loadKubeConfig(options.cluster.kubeconfig) : undefined;
  let events: ObservedEventBus | undefined;
  const role = await composeRole({
    config: { ...config, role: 'all', sessionSecret, encryption: { ...config.encryption, key } },
    db: database.dataSource,
    databaseUrl: database.url,
    kube,
    github: new OctokitGitHubApi(github.url),
    logger,
    seams: {
      eventBus: (deps) => (events = new ObservedEventBus(deps)),
      electionRetryMs: 100,
      logRescanMs: 500,
      uiDir: options.uiDir ?? '/nonexistent',
      ...(options.cluster?.tuning ? { pipeline: options.cluster.tuning } : {}),
      ...(options.webhooks ? { webhooks: options.webhooks } : {}),
    },
  });
  const controller = await role.leading();
  const platform = role.platform;
  if (!platform || !events) throw new Error('the all role serves');
  const { app, sessions, encryptor, drain, ctx } = platform;

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
    stateSink: role.stateSink,
    role,
    controller,
    writer: controller.writer,
    stateRepoDir: config.stateRepoDir,
    async commitSubjects() {
      const { stdout } = await promisify(execFile)('git', ['--git-dir', config.stateRepoDir, 'log', '--format=%s']);
      return stdout.split('\n').filter((line) => line !== '');
    },
    async intents() {
      const rows: { change: TenantChange; done: boolean }[] = await database.dataSource.query(
        `SELECT change, done_at IS NOT NULL AS done FROM state_intents ORDER BY id`,
      );
      return rows.map((row) => ({ ...row.change, done: row.done }));
    },
    encryptionKey,
    pipeline: controller.pipeline,
    applier: controller.applier,
    events,
    sessions,
    encryptor,
    drain,
    ctx,
    signIn,
    attemptSignIn,
    async close() {
      await role.stop();
      await github.stop();
      await database.drop();
      await rm(stateDir, { recursive: true, force: true });
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
