import { useParams } from 'react-router';
import { Alert, Badge, LoadingBlock, PageHeader, Section } from '../../components/ui';
import { errorMessage } from '../../lib/api-error';
import { useUser } from '../../features/auth/api/auth';
import { TeamsPanels } from '../../features/teams/components/teams-list';
import { InvitePanel, MembersPanel } from '../../features/teams/components/team-members';
import { ActivityPanel } from '../../features/teams/components/team-activity';
import { useTeam } from '../../features/teams/api/teams';

export function TeamsRoute() {
  return (
    <>
      <PageHeader title="Teams" subtitle="Projects shared with people in roles." />
      <TeamsPanels />
    </>
  );
}

export function TeamRoute() {
  const { teamId = '' } = useParams();
  const team = useTeam(teamId);
  const me = useUser();
  if (team.isPending) return <LoadingBlock />;
  if (team.error) return <Alert tone="error" title="Could not load the team">{errorMessage(team.error)}</Alert>;
  return (
    <>
      <PageHeader title={team.data.name} subtitle={`Namespaces and addresses of its projects start with ${team.data.hash}-.`} badge={<Badge>{team.data.role}</Badge>} />
      <div className="space-y-6">
        <Section title="Members">
          <MembersPanel team={team.data} me={me.githubUsername} />
        </Section>
        <Section title="Invite">
          <InvitePanel team={team.data} admin={me.role === 'admin'} />
        </Section>
        <Section title="Activity">
          <ActivityPanel team={team.data} />
        </Section>
      </div>
    </>
  );
}
