import { Router } from 'express';
import { z } from 'zod';
import { moveProjectSchema, projectDtoSchema, projectMemberDtoSchema, setProjectRoleSchema } from '@dangus/common';
import type { UseCaseContext } from '../../use-cases/context.js';
import { listProjectMembers, removeProjectRole, setProjectRole } from '../../use-cases/project-members.js';
import { moveProject } from '../../use-cases/project-move.js';
import { currentUser } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';
import type { ProjectStreams } from '../project-streams.js';

const member = z.object({ login: z.string().describe('A GitHub login of someone who has signed in here.') });

/** `/api/projects/:projectId/members` and `/move` (issue 36): roles on one project, and who owns it. */
export function projectMemberRoutes(ctx: UseCaseContext, projectStreams?: ProjectStreams): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Projects', access: 'user' });

  doc.get('/projects/:projectId/members', { summary: 'Who has a role on the project, and from where', description: 'The personal space that owns it, the team\'s members (with a project role over theirs, if set) and the project\'s own members.', response: z.array(projectMemberDtoSchema) });
  r.get('/projects/:projectId/members', async (req, res) => {
    res.json(await listProjectMembers(ctx, currentUser(res), req.params.projectId));
  });
  doc.put('/projects/:projectId/members/:login', { summary: 'Give someone a role on this project (owners)', description: 'Adds or changes it. For a member of the project\'s team it overrides the team role here. 409 for the project\'s owners (its personal space, the team\'s owners): they always own it. 404 when nobody with that login has signed in.', params: member, body: setProjectRoleSchema, response: projectMemberDtoSchema, errors: [403, 409] });
  r.put('/projects/:projectId/members/:login', async (req, res) => {
    const dto = await setProjectRole(ctx, currentUser(res), req.params.projectId, req.params.login, req.body);
    await projectStreams?.projectRoleChanged(dto.userId, req.params.projectId);
    res.json(dto);
  });
  doc.delete('/projects/:projectId/members/:login', { summary: 'Take a project role away (owners), or drop your own', description: 'A member of the team falls back to their team role; anyone else loses the project, and their open streams of it end at once.', params: member, status: 204, errors: [403] });
  r.delete('/projects/:projectId/members/:login', async (req, res) => {
    const removed = await removeProjectRole(ctx, currentUser(res), req.params.projectId, req.params.login);
    await projectStreams?.projectRoleChanged(removed.userId, removed.projectId);
    res.status(204).end();
  });
  doc.post('/projects/:projectId/move', { summary: 'Move the project to your space or a team\'s (owners of both sides)', description: '`confirm` is the project\'s name. Nothing of it moves in the cluster or the state repo: its namespace, hosts, volumes and paths stay; its namespace gets the quota of the new space (a team\'s: TEAM_NAMESPACE_QUOTA), a commit by the mover where that differs. 409 when it is there already, or the destination has a project of that name, no room (limit_reached), or a quota its pods do not fit.', body: moveProjectSchema, response: projectDtoSchema, errors: [403, 409] });
  r.post('/projects/:projectId/move', async (req, res) => {
    const moved = await moveProject(ctx, currentUser(res), req.params.projectId, req.body);
    await projectStreams?.projectMoved(moved.id);
    res.json(moved);
  });

  return r;
}
