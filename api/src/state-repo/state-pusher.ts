import fs from 'node:fs';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { Logger } from 'pino';
import type { PushStatus } from '@dangus/common';

/** The push's state, as `GET /api/system/state-repo` answers it (its schema is in common). */
export type { PushStatus } from '@dangus/common';

/**
 * Pushes the state repo's branch to a remote (STATE_REPO_REMOTE) after every
 * commit (issue 4). Pushes are coalesced and retried with exponential backoff;
 * a failing remote never blocks a database write or a commit, and its state
 * is visible at `GET /api/system/state-repo`.
 */
export class StatePusher {
  readonly status: PushStatus;
  private running = false;
  private pending = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Called at the end of the next push attempt, whatever its outcome. */
  private attemptEnded: (() => void)[] = [];

  constructor(
    private readonly options: {
      gitdir: string;
      url: string;
      token: string | undefined;
      branch?: string;
      logger: Logger;
      backoff?: { initialMs: number; maxMs: number };
    },
  ) {
    const shown = new URL(options.url);
    shown.username = '';
    shown.password = '';
    this.status = {
      remote: shown.toString(),
      state: 'idle',
      pushedCommit: null,
      lastAttemptAt: null,
      lastSuccessAt: null,
      error: null,
      failures: 0,
    };
  }

  /** Asks for a push of the current head; returns at once. */
  schedule(): void {
    if (this.stopped) return;
    this.pending = true;
    if (!this.running && this.timer === undefined) void this.run();
  }

  /** Resolves once nothing is pending (tests, shutdown). */
  async idle(): Promise<void> {
    while ((this.running || this.pending) && this.status.state !== 'failing') {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Resolves with the status once `reached(status)` holds: now, or at the end of a
   * later push attempt (tests wait for a push to fail or land without polling).
   */
  async until(reached: (status: PushStatus) => boolean): Promise<PushStatus> {
    while (!reached(this.status)) await new Promise<void>((resolve) => this.attemptEnded.push(resolve));
    return this.status;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.pending && !this.stopped) {
        this.pending = false;
        await this.pushOnce();
      }
    } finally {
      this.running = false;
    }
  }

  private async pushOnce(): Promise<void> {
    const branch = this.options.branch ?? 'main';
    this.status.state = 'pushing';
    this.status.lastAttemptAt = new Date().toISOString();
    try {
      const head = await git.resolveRef({ fs, gitdir: this.options.gitdir, ref: branch });
      const token = this.options.token;
      const result = await git.push({
        fs,
        http,
        gitdir: this.options.gitdir,
        url: this.options.url,
        ref: branch,
        remoteRef: branch,
        ...(token ? { onAuth: () => ({ username: 'x-access-token', password: token }) } : {}),
      });
      if (!result.ok) throw new Error(result.error ?? 'the remote refused the push');
      Object.assign(this.status, {
        state: 'ok',
        pushedCommit: head,
        lastSuccessAt: new Date().toISOString(),
        error: null,
        failures: 0,
      });
    } catch (error) {
      this.status.failures += 1;
      this.status.state = 'failing';
      this.status.error = error instanceof Error ? error.message.slice(0, 500) : String(error);
      const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 1000, maxMs: 60_000 };
      const delay = Math.min(maxMs, initialMs * 2 ** (this.status.failures - 1));
      this.options.logger.warn({ remote: this.status.remote, failures: this.status.failures, retryInMs: delay, err: error }, 'state repo push failed');
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, delay);
      this.timer.unref();
    } finally {
      const waiting = this.attemptEnded;
      this.attemptEnded = [];
      for (const resolve of waiting) resolve();
    }
  }
}
