import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import type { Encryptor } from '../crypto/encryption.js';
import type { StateSink } from '../cluster/state-sink.js';
import type { GitHubApi } from '../github/github-api.js';

/** What every use case may touch, passed in one options object (STYLE.md 4). */
export interface UseCaseContext {
  db: DataSource;
  encryptor: Encryptor;
  stateSink: StateSink;
  github: GitHubApi;
  logger: Logger;
  settings: { baseDomain: string; webhookBaseUrl: string; publicScheme: 'http' | 'https' };
}

/** The signed-in user every query is scoped to. */
export interface CurrentUser {
  id: string;
  githubUsername: string;
  hash: string;
}
