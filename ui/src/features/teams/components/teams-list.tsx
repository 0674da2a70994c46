import { teamSlugSchema, type TeamDto } from '@dangus/common';
import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { Alert, Badge, Button, EmptyState, Field, Input, LoadingBlock, Section } from '../../../components/ui';
import { ApiError, errorMessage } from '../../../lib/api-error';
import { paths } from '../../../app/paths';
import { useAcceptInvitation, useCreateTeam, useTeams } from '../api/teams';

/** The teams you are a member of, each with your role. */
export function TeamList() {
  const teams = useTeams();
  if (teams.isPending) return <LoadingBlock />;
  if (teams.error) return <Alert tone="error" title="Could not load your teams">{errorMessage(teams.error)}</Alert>;
  if (teams.data.length === 0) {
    return <EmptyState title="No teams yet">Create one to share projects with people in roles, or accept an invitation.</EmptyState>;
  }
  return (
    <ul className="divide-y divide-line" aria-label="Your teams">
      {teams.data.map((team: TeamDto) => (
        <li key={team.id} className="flex flex-wrap items-center gap-3 py-3">
          <Link to={paths.team(team.id)} className="font-medium">
            {team.name}
          </Link>
          <code className="text-xs text-muted">{team.slug}</code>
          <Badge tone={team.role === 'owner' ? 'ok' : 'idle'}>{team.role}</Badge>
          <span className="ml-auto text-sm text-muted">
            {team.memberCount} member{team.memberCount === 1 ? '' : 's'} · namespaces <code>{team.hash}-…</code>
          </span>
        </li>
      ))}
    </ul>
  );
}

export function CreateTeamForm() {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const create = useCreateTeam();
  const slugCheck = teamSlugSchema.safeParse(slug);
  const fields = create.error instanceof ApiError ? create.error.fields : {};
  return (
    <form
      noValidate
      className="grid gap-4 sm:grid-cols-2"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ name, slug }, { onSuccess: () => { setName(''); setSlug(''); } });
      }}
    >
      <Field label="Team name" errors={fields.name}>
        {(ids) => <Input {...ids} name="team-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="Acme" />}
      </Field>
      <Field label="Slug" errors={slug !== '' && !slugCheck.success ? slugCheck.error.issues.map((i) => i.message) : fields.slug} hint="For its addresses on this platform: lowercase letters, digits, single hyphens.">
        {(ids) => <Input {...ids} name="team-slug" value={slug} onChange={(e) => setSlug(e.target.value)} placeholder="acme" spellCheck={false} />}
      </Field>
      {create.error && Object.keys(fields).length === 0 ? (
        <Alert tone="error" title="Could not create the team">{errorMessage(create.error)}</Alert>
      ) : null}
      <div>
        <Button type="submit" variant="primary" loading={create.isPending} disabled={!slugCheck.success || name.trim() === ''}>
          Create team
        </Button>
      </div>
    </form>
  );
}

/** An invitation link opened (`/teams?invite=…`), or a token pasted: accepted by the signed-in user. */
export function AcceptInvitation() {
  const [params, setParams] = useSearchParams();
  const [token, setToken] = useState(params.get('invite') ?? '');
  const accept = useAcceptInvitation();
  const sent = useRef(false);
  useEffect(() => {
    const fromLink = params.get('invite');
    if (fromLink && !sent.current) {
      sent.current = true;
      accept.mutate(fromLink, { onSettled: () => setParams({}, { replace: true }) });
    }
  }, [params, accept, setParams]);
  return (
    <form
      noValidate
      className="space-y-3"
      onSubmit={(event) => {
        event.preventDefault();
        accept.mutate(token.trim());
      }}
    >
      <Field label="Invitation" hint="Paste the link or its token.">
        {(ids) => (
          <Input {...ids} name="invitation" value={token} onChange={(e) => setToken(e.target.value.replace(/^.*[?&]invite=/, ''))} spellCheck={false} />
        )}
      </Field>
      {accept.isSuccess ? <Alert tone="info" title={`You joined ${accept.data.name}`}>Your role: {accept.data.role}.</Alert> : null}
      {accept.error ? <Alert tone="error" title="Could not accept the invitation">{errorMessage(accept.error)}</Alert> : null}
      <Button type="submit" loading={accept.isPending} disabled={token.trim() === ''}>
        Accept
      </Button>
    </form>
  );
}

export function TeamsPanels() {
  return (
    <div className="space-y-6">
      <Section title="Your teams">
        <TeamList />
      </Section>
      <Section title="New team" description="You become its owner. Its projects get namespaces and addresses of its own.">
        <CreateTeamForm />
      </Section>
      <Section title="Join a team" description="An invitation works once, before it expires; the platform's sign-in rules still apply.">
        <AcceptInvitation />
      </Section>
    </div>
  );
}
