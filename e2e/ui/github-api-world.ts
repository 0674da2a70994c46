import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@dangus/api/test-support/database';
import { FakeGitHub } from '@dangus/api/test-support/fake-github';
import { startApiProcess, type ApiProcess } from '../support/api-process.js';

/** The api as its own process against the fake GitHub and a database of its own (the browser tests of GitHub's paths). */
export interface GitHubApiWorld {
  github: FakeGitHub;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  api: ApiProcess;
  /** The api, the database and the fake GitHub go, in that order. */
  stop(): Promise<void>;
}

/**
 * The fake GitHub (signing in as `user`), a database, and the api process with local sign-in
 * (the first user is the admin) and GitHub's URLs pointed at the fake; `env` adds settings
 * (the sign-in allowlist, a known encryption key; made from the fake: its OAuth client).
 */
export async function startGitHubApiWorld(
  user: { id: number; login: string },
  env: Record<string, string> | ((github: FakeGitHub) => Record<string, string>) = {},
): Promise<GitHubApiWorld> {
  const github = new FakeGitHub();
  await github.start();
  github.user = user;
  const database = await createTestDatabase();
  const api = await startApiProcess({
    DATABASE_URL: database.url,
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    AUTH_LOCAL: 'true',
    GITHUB_WEB_URL: github.url,
    GITHUB_API_URL: github.url,
    ...(typeof env === 'function' ? env(github) : env),
  });
  return {
    github,
    database,
    api,
    async stop() {
      await api.stop();
      await database.drop();
      await github.stop();
    },
  };
}
