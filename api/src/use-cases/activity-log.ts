/**
 * The activity log of a team (issue 36): every change made in a team or one of its
 * projects, with who, what, when and from where (IP and user agent), newest first,
 * filterable by project, action and actor. Kept for ACTIVITY_RETENTION_DAYS (the leading
 * controller deletes older entries: activity-retention.ts). An entry of a change the state repo commits names
 * the commit; that commit's `Dangus-Actor:` trailer names the same member.
 */
import type { EntityManager } from 'typeorm';
import type { CurrentUser } from './context.js';
import { requestOrigin } from '../db/request-origin.js';


/** How long entries are kept by default: the setting ACTIVITY_RETENTION_DAYS (activity-retention.ts prunes). */
export const ACTIVITY_RETENTION_DAYS = 90;

export async function recordTeamActivity(
  manager: EntityManager,
  actor: CurrentUser,
  entry: { teamId: string | null; projectId?: string | null; action: string; subject: string; commitSha?: string | null },
): Promise<void> {
  const origin = requestOrigin() ?? { ip: null, userAgent: null };
  await manager.query(
    `INSERT INTO activity_log (team_id, project_id, actor_id, actor_login, action, subject, ip, user_agent, commit_sha)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      entry.teamId,
      entry.projectId ?? null,
      actor.id,
      actor.githubUsername.slice(0, 39),
      entry.action,
      entry.subject,
      origin.ip?.slice(0, 45) ?? null,
      origin.userAgent?.slice(0, 300) ?? null,
      entry.commitSha ?? null,
    ],
  );
}
