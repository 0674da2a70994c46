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
  /** A stream of one project's logs: re-checked at once when the user's role on it changes. */
  project?: { id: string; userId: string; action: ProjectAction };
}

export class ProjectStreams {
  private readonly byUser = new Map<string, Set<Watched>>();

  constructor(
    private readonly db: DataSource,
    private readonly checkMs = 15_000,
  ) {}

  /** Ends `close`'s stream when `userId` may no longer do `action` to the project. Returns the function that stops watching. */
  watch(userId: string, project: { id: string; userId: string }, action: ProjectAction, close: () => void): () => void {
    const entry: Watched = { ownerId: project.userId, close, project: { id: project.id, userId: project.userId, action } };
    const set = this.byUser.get(userId) ?? new Set();
    set.add(entry);
    this.byUser.set(userId, set);
    const timer = setInterval(() => {
      // The owner as it is now: a project moved since the stream opened is asked of its new owner.
      void this.ownerOf(project.id).then((owner) => roleOn(this.db.manager, { id: userId }, { id: project.id, userId: owner })).then(
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

  /**
   * A stream of the deployments of the teams' accounts `ownerIds` (besides the user's own):
   * ends when the user leaves one of them (here at once, elsewhere within `checkMs`).
   */
  watchAccounts(userId: string, ownerIds: string[], close: () => void): () => void {
    const stops = ownerIds.map((ownerId) => {
      const entry: Watched = { ownerId, close };
      const set = this.byUser.get(userId) ?? new Set();
      set.add(entry);
      this.byUser.set(userId, set);
      return () => {
        set.delete(entry);
        if (set.size === 0) this.byUser.delete(userId);
      };
    });
    const timer = setInterval(() => {
      void this.db
        .query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM team_members tm JOIN teams t ON t.id = tm.team_id WHERE tm.user_id = $1 AND t.account_id = ANY($2::uuid[])`,
          [userId, ownerIds],
        )
        .then(
          (rows) => {
            if ((rows[0]?.n ?? 0) < ownerIds.length) close();
          },
          () => undefined,
        );
    }, this.checkMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      for (const stop of stops) stop();
    };
  }

  /** The user's role on one project changed or went: their streams of it that the role no longer allows end now. */
  async projectRoleChanged(userId: string, projectId: string): Promise<void> {
    for (const entry of [...(this.byUser.get(userId) ?? [])]) {
      if (entry.project?.id !== projectId) continue;
      const found = await roleOn(this.db.manager, { id: userId }, { ...entry.project, userId: await this.ownerOf(projectId) }).catch(() => undefined);
      if (found === null || (found && !roleAllows(found.role, entry.project.action))) entry.close();
    }
  }

  /** The project moved to another owner: everyone's streams of it are asked again now (in this process). */
  async projectMoved(projectId: string): Promise<void> {
    const users = [...this.byUser.entries()].filter(([, set]) => [...set].some((e) => e.project?.id === projectId)).map(([userId]) => userId);
    for (const userId of users) await this.projectRoleChanged(userId, projectId);
  }

  private async ownerOf(projectId: string): Promise<string> {
    const rows = await this.db.query<{ user_id: string }[]>(`SELECT user_id FROM projects WHERE id = $1`, [projectId]);
    return rows[0]?.user_id ?? '';
  }

  /** A member left the team whose account is `ownerId`: their streams of its projects end now. */
  memberRemoved(userId: string, ownerId: string): void {
    for (const entry of [...(this.byUser.get(userId) ?? [])]) if (entry.ownerId === ownerId) entry.close();
  }
}
