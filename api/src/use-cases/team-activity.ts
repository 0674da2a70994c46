/** The activity log of a team, filtered (activity-log.ts records it). */
import { z } from 'zod';
import type { ActivityEntryDto } from '@dangus/common';
import type { CurrentUser, UseCaseContext } from './context.js';
import { findTeam } from './teams.js';
import { ValidationError } from '../errors.js';

export const activityQuerySchema = z.strictObject({
  projectId: z.uuid({ error: 'A project id.' }).optional(),
  action: z.string().max(60).optional(),
  actor: z.string().max(39).optional(),
});

/**
 * The team's log, newest 200 first, for its members (any role): who, what and when. Where
 * from (the IP address and user agent of each member's request) is personal data of the
 * members: only the team's owners and the platform's admins read it; others get null.
 */
export async function listTeamActivity(ctx: UseCaseContext, user: CurrentUser, teamId: string, query: unknown): Promise<ActivityEntryDto[]> {
  const team = await findTeam(ctx.db.manager, user, teamId);
  const parsed = activityQuerySchema.safeParse(query ?? {});
  if (!parsed.success) {
    const fields: Record<string, string[]> = {};
    for (const issue of parsed.error.issues) (fields[issue.path.join('.') || 'query'] ??= []).push(issue.message);
    throw new ValidationError('The filters are not valid.', fields);
  }
  const f = parsed.data;
  const seesOrigin = team.role === 'owner' || user.role === 'admin';
  const rows = await ctx.db.query<{ id: string; actor_login: string; action: string; subject: string; project_id: string | null; ip: string | null; user_agent: string | null; commit_sha: string | null; created_at: Date }[]>(
    `SELECT id::text, actor_login, action, subject, project_id, ip, user_agent, commit_sha, created_at FROM activity_log
      WHERE (team_id = $1 OR project_id IN (SELECT id FROM projects WHERE user_id = $2))
        AND ($3::uuid IS NULL OR project_id = $3::uuid)
        AND ($4::text IS NULL OR action = $4::text)
        AND ($5::text IS NULL OR lower(actor_login) = lower($5::text))
      ORDER BY id DESC LIMIT 200`,
    [team.id, team.account_id, f.projectId ?? null, f.action ?? null, f.actor ?? null],
  );
  return rows.map((r) => ({
    id: r.id,
    actor: r.actor_login,
    action: r.action,
    subject: r.subject,
    projectId: r.project_id,
    ip: seesOrigin ? r.ip : null,
    userAgent: seesOrigin ? r.user_agent : null,
    commitSha: r.commit_sha,
    createdAt: r.created_at.toISOString(),
  }));
}
