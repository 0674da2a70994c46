import { Router } from 'express';
import { z } from 'zod';
import {
  acceptInvitationSchema,
  activityEntryDtoSchema,
  changeRoleSchema,
  createInvitationSchema,
  createTeamSchema,
  invitationDtoSchema,
  teamDtoSchema,
  teamMemberDtoSchema,
} from '@dangus/common';
import type { UseCaseContext } from '../../use-cases/context.js';
import * as teams from '../../use-cases/teams.js';
import * as invitations from '../../use-cases/team-invitations.js';
import { activityQuerySchema, listTeamActivity } from '../../use-cases/team-activity.js';
import { currentUser } from '../middleware/session.js';
import { routeDocs } from '../openapi/describe.js';
import type { ProjectStreams } from '../project-streams.js';

const member = z.object({ userId: z.uuid() });

/** `/api/teams/*` (issue 36): teams, members, invitations and the activity log. */
export function teamRoutes(ctx: UseCaseContext, projectStreams?: ProjectStreams): Router {
  const r = Router();
  const doc = routeDocs(r, { tag: 'Teams', access: 'user' });

  doc.get('/teams', { summary: 'Your teams, with your role on each', response: z.array(teamDtoSchema) });
  r.get('/teams', async (_req, res) => {
    res.json(await teams.listTeams(ctx, currentUser(res)));
  });
  doc.post('/teams', { summary: 'Create a team: you are its owner', description: 'The team gets a hash of its own for its projects\' namespaces and hosts. 409 when the slug is taken.', body: createTeamSchema, status: 201, response: teamDtoSchema, errors: [409] });
  r.post('/teams', async (req, res) => {
    res.status(201).json(await teams.createTeam(ctx, currentUser(res), req.body));
  });
  doc.get('/teams/:teamId', { summary: 'A team of yours', response: teamDtoSchema });
  r.get('/teams/:teamId', async (req, res) => {
    res.json(await teams.getTeam(ctx, currentUser(res), req.params.teamId));
  });
  doc.get('/teams/:teamId/members', { summary: 'The team\'s members and their roles', response: z.array(teamMemberDtoSchema) });
  r.get('/teams/:teamId/members', async (req, res) => {
    res.json(await teams.listMembers(ctx, currentUser(res), req.params.teamId));
  });
  doc.patch('/teams/:teamId/members/:userId', { summary: 'Change a member\'s role (owners)', description: '409 when it would leave the team without an owner; 403 naming your role when you are not an owner.', params: member, body: changeRoleSchema, response: teamMemberDtoSchema, errors: [403, 409] });
  r.patch('/teams/:teamId/members/:userId', async (req, res) => {
    res.json(await teams.changeMemberRole(ctx, currentUser(res), req.params.teamId, req.params.userId, req.body));
  });
  doc.delete('/teams/:teamId/members/:userId', { summary: 'Remove a member (owners), or leave', description: 'Their open streams of the team\'s projects end at once. 409 for the last owner.', params: member, status: 204, errors: [403, 409] });
  r.delete('/teams/:teamId/members/:userId', async (req, res) => {
    await teams.removeMember(ctx, currentUser(res), req.params.teamId, req.params.userId, (userId, ownerId) => projectStreams?.memberRemoved(userId, ownerId));
    res.status(204).end();
  });
  doc.post('/teams/:teamId/invitations', { summary: 'Invite by GitHub login, or make a link (owners)', description: 'The token is in this answer only; it expires and is used once.', body: createInvitationSchema, status: 201, response: invitationDtoSchema, errors: [403] });
  r.post('/teams/:teamId/invitations', async (req, res) => {
    res.status(201).json(await invitations.createInvitation(ctx, currentUser(res), req.params.teamId, req.body));
  });
  doc.post('/invitations/accept', { summary: 'Accept an invitation', description: '404 for an unknown token or another login\'s invitation; 409 when used or expired.', body: acceptInvitationSchema, response: teamDtoSchema, errors: [409] });
  r.post('/invitations/accept', async (req, res) => {
    res.json(await invitations.acceptInvitation(ctx, currentUser(res), req.body));
  });
  doc.get('/teams/:teamId/activity', { summary: 'The team\'s activity log, newest first', description: 'Who did what, when and from where, in the team and its projects; each change of the state repo with its commit.', query: activityQuerySchema, response: z.array(activityEntryDtoSchema) });
  r.get('/teams/:teamId/activity', async (req, res) => {
    res.json(await listTeamActivity(ctx, currentUser(res), req.params.teamId, req.query));
  });

  return r;
}
