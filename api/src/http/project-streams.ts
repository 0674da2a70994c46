/**
 * The open streams of a project's logs, by user (issue 36): when a member leaves a team
 * (or is removed), their streams of its projects end at once in this process
 * (`memberRemoved`), and within a check period on the other replicas, where each stream
 * asks the policy again every `checkMs`.
 */
import type { DataSource } from 'typeorm';
import { roleAllows } from '@dangus/common';
import { roleOn, type ProjectAction } from '../use-cases/policy.js';

interface Watched {
  ownerId: string;
  close: () => void;
}

export class ProjectStreams {
  private readonly byUser = new Map<string, Set<Watched>>();

  constructor(
    private readonly db: DataSource,
    private readonly checkMs = 15_000,
  ) {}

  /** Ends `close`'s stream when `userId` may no longer do `action` to the project. Returns the function that stops watching. */
  watch(userId: string, project: { id: string; userId: string }, action: ProjectAction, close: () => void): () => void {
    const entry: Watched = { ownerId: project.userId, close };
    const set = this.byUser.get(userId) ?? new Set();
    set.add(entry);
    this.byUser.set(userId, set);
    const timer = setInterval(() => {
      void roleOn(this.db.manager, { id: userId }, project).then(
        (found) => {
          if (!found || !roleAllows(found.role, action)) close();
        },
        () => undefined, // the database is away: the next check decides
      );
    }, this.checkMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      set.delete(entry);
      if (set.size === 0) this.byUser.delete(userId);
    };
  }

  /** A member left the team whose account is `ownerId`: their streams of its projects end now. */
  memberRemoved(userId: string, ownerId: string): void {
    for (const entry of [...(this.byUser.get(userId) ?? [])]) if (entry.ownerId === ownerId) entry.close();
  }
}
