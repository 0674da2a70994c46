/**
 * Moving a project between a person's space and a team's (issue 36), confirmed by the
 * project's name, by someone who owns both sides: the project (owner on it) and the
 * destination (their own space, or a team they own). Only who owns it changes: its
 * namespace is pinned on its row (db/project-namespace.ts), its services' hosts were fixed
 * at creation, so no namespace, host, volume, image repository or state-repo path moves,
 * and the cluster keeps running it untouched. The move is one transaction under the
 * project's row lock, with the acting owner's roles read again under it; it is recorded as
 * an intent by the mover (the activity log of both sides names them). Its namespace gets the
 * quota of its new space (a team's projects TEAM_NAMESPACE_QUOTA's, capacity.ts), which the
 * project as it is must fit (409 otherwise): where the two spaces' quotas differ, the render
 * changes the namespace's ResourceQuota, a commit by the mover; where they are the same, no
 * file changes and it makes no commit.
 */
import { moveProjectSchema, type ProjectDto } from '@dangus/common';
import type { EntityManager } from 'typeorm';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { CurrentUser, UseCaseContext } from './context.js';
import { changeState } from '../state-repo/state-sink.js';
import { authorizeProject } from './policy.js';
import { findProject } from './projects.js';
import { checkProjectLimit } from './limits.js';
import { checkTeamProjectLimit, checkTeamServicesRoom } from './team-limits.js';
import { parseInput, uniqueViolation } from './validate.js';
import { recordTeamActivity } from './activity-log.js';
import { checkQuotaOfSpace } from './capacity.js';
import { recheckProofsAfter } from './binding-triggers.js';

/** The destination account: the actor's own, or a team's they own (another team: 404; a lesser role: 403). */
async function destination(manager: EntityManager, actor: CurrentUser, to: { team: string } | { personal: true }) {
  if ('personal' in to) return { accountId: actor.id, label: 'your space', teamSlug: null };
  const [team] = await manager.query<{ account_id: string; slug: string; role: string }[]>(
    `SELECT t.account_id, t.slug, tm.role FROM teams t JOIN team_members tm ON tm.team_id = t.id AND tm.user_id = $2 WHERE t.id = $1 FOR SHARE OF tm`,
    [to.team, actor.id],
  );
  if (!team) throw new NotFoundError('Team');
  if (team.role !== 'owner') throw new ForbiddenError(`Your role on team ${team.slug} is ${team.role}: moving a project into it needs owner.`, 'role_forbidden');
  return { accountId: team.account_id, label: `team ${team.slug}`, teamSlug: team.slug };
}

/**
 * Only who owns the space the project is in may move it out: the person whose space it is,
 * or an owner of the team. An owner role given on the project alone (project_members) may
 * run it, not take it away from its space's owners (403).
 */
async function checkOwnsSpace(manager: EntityManager, actor: CurrentUser, accountId: string): Promise<void> {
  if (accountId === actor.id) return;
  const [owner] = await manager.query<unknown[]>(
    `SELECT 1 FROM teams t JOIN team_members tm ON tm.team_id = t.id WHERE t.account_id = $1 AND tm.user_id = $2 AND tm.role = 'owner' FOR SHARE OF tm`,
    [accountId, actor.id],
  );
  if (!owner) throw new ForbiddenError('You own this project through a role on it alone: only the owners of the space it is in may move it.', 'role_forbidden');
}

export async function moveProject(ctx: UseCaseContext, actor: CurrentUser, projectId: string, input: unknown): Promise<ProjectDto> {
  const { project } = await findProject(ctx, actor, projectId, 'own');
  const { to, confirm } = parseInput(moveProjectSchema, input);
  if (confirm !== project.name) throw new ValidationError(`Type the project's name, ${project.name}, to confirm the move.`, { confirm: ['Does not match the project\'s name.'] });
  try {
    await changeState(ctx, async (manager) => {
      const [locked] = await manager.query<{ userId: string }[]>(`SELECT user_id AS "userId" FROM projects WHERE id = $1 FOR UPDATE`, [project.id]);
      if (!locked) throw new NotFoundError('Project');
      // Judged against the space the project is in now (a move at once: the second sees the first's).
      Object.assign(project, { userId: locked.userId });
      await authorizeProject(manager, actor, project, 'own', 'Project', { lock: true });
      await checkOwnsSpace(manager, actor, project.userId);
      const dest = await destination(manager, actor, to);
      if (dest.accountId === project.userId) throw new ConflictError(`The project is in ${dest.label} already.`, { to: ['Already there.'] });
      if (dest.teamSlug === null) await checkProjectLimit(ctx, manager, actor);
      else {
        await checkTeamProjectLimit(ctx, manager, { id: dest.accountId, slug: dest.teamSlug });
        const [services] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM services WHERE project_id = $1`, [project.id]);
        await checkTeamServicesRoom(ctx, manager, { id: dest.accountId, slug: dest.teamSlug }, services?.n ?? 0);
      }
      await manager.query(`UPDATE projects SET user_id = $2 WHERE id = $1`, [project.id, dest.accountId]);
      // Its namespace gets the quota of its new space (a team's, TEAM_NAMESPACE_QUOTA): it must fit it.
      await checkQuotaOfSpace(manager, ctx.capacity, project.id, dest.label);
      // The owner is denormalised on the rows that name it (every query of an owner's services is scoped by it).
      await manager.query(`UPDATE services SET user_id = $2 WHERE project_id = $1`, [project.id, dest.accountId]);
      await manager.query(`UPDATE service_buckets SET user_id = $2 WHERE project_id = $1`, [project.id, dest.accountId]);
      // The team it leaves keeps a line of it in its log (the intent's entry goes to the new owner's).
      const [source] = await manager.query<{ id: string }[]>(`SELECT id FROM teams WHERE account_id = $1`, [project.userId]);
      if (source) await recordTeamActivity(manager, actor, { teamId: source.id, projectId: project.id, action: 'project.move', subject: `${project.namespace}: moved project ${project.name} out, to ${dest.label === 'your space' ? `@${actor.githubUsername}'s space` : dest.label}` });
      // A role on the project of the new owner's own person is moot: they own it.
      await manager.query(`DELETE FROM project_members WHERE project_id = $1 AND user_id = $2`, [project.id, dest.accountId]);
      return {
        value: null,
        change: {
          projectId: project.id,
          namespace: project.namespace,
          verb: 'update',
          summary: `move project ${project.name} to ${dest.label === 'your space' ? `@${actor.githubUsername}'s space` : dest.label}`,
          actor: { userId: actor.id, githubUsername: actor.githubUsername },
        },
      };
    });
  } catch (error) {
    if (uniqueViolation(error) === 'projects_user_id_name_key') {
      throw new ConflictError(`The destination has a project named "${project.name}" already: rename or delete one first.`, { to: ['A project of that name is there.'] });
    }
    throw error;
  }
  // Its members are the new space's now: bindings whose prover has no role there are proven again or cleared.
  recheckProofsAfter(ctx, { projectId: project.id });
  const [row] = await ctx.db.query<{ created_at: Date; n: number }[]>(
    `SELECT p.created_at, (SELECT count(*)::int FROM services s WHERE s.project_id = p.id) AS n FROM projects p WHERE p.id = $1`,
    [project.id],
  );
  return { id: project.id, name: project.name, namespace: project.namespace, createdAt: (row?.created_at ?? project.createdAt).toISOString(), serviceCount: row?.n ?? 0 };
}
