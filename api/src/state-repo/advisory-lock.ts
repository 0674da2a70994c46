import type { DataSource } from 'typeorm';
import type { WriteLock } from '@dangus/gitops-writer';

/** The advisory-lock key of the state repo: any constant both api replicas agree on. */
export const STATE_REPO_LOCK_KEY = 0x64616e67; // "dang"

/**
 * The cross-process half of "one writer at a time" (docs/architecture.md#the-state-repo):
 * a session-level PostgreSQL advisory lock held on one connection for the
 * duration of a write, so two api replicas never interleave commits.
 */
export class PgAdvisoryLock implements WriteLock {
  constructor(
    private readonly db: DataSource,
    private readonly key: number = STATE_REPO_LOCK_KEY,
  ) {}

  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [this.key]);
      try {
        return await fn();
      } finally {
        await runner.query('SELECT pg_advisory_unlock($1)', [this.key]);
      }
    } finally {
      await runner.release();
    }
  }
}
