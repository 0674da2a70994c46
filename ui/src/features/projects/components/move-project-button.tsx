import type { MoveProjectInput, ProjectDetailDto, ProjectDto } from '@dangus/common';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, ConfirmDialog, Field, inputClass } from '../../../components/ui';
import { api } from '../../../lib/api-client';
import { errorMessage } from '../../../lib/api-error';
import { queryKeys } from '../../../lib/query-keys';
import { useTeams } from '../../teams/api/teams';

/**
 * "Move project": to your space or to a team you own, confirmed by typing the project's
 * name. What the dialog says is what the api does: who may act on it changes, nothing of
 * it moves in the cluster.
 */
export function MoveProjectButton({ project }: { project: ProjectDetailDto }) {
  const [open, setOpen] = useState(false);
  const [to, setTo] = useState('personal');
  const teams = useTeams();
  const client = useQueryClient();
  const move = useMutation({
    mutationFn: (input: MoveProjectInput) => api.post<ProjectDto>(`/api/projects/${encodeURIComponent(project.id)}/move`, input),
    onSettled: () => Promise.all([client.invalidateQueries({ queryKey: queryKeys.projects }), client.invalidateQueries({ queryKey: queryKeys.teamsAll })]),
  });
  const owned = (teams.data ?? []).filter((t) => t.role === 'owner');
  return (
    <>
      <Button
        variant="secondary"
        onClick={() => {
          move.reset();
          setOpen(true);
        }}
      >
        Move project
      </Button>
      <ConfirmDialog
        open={open}
        title={`Move ${project.name}?`}
        confirmText={project.name}
        confirmLabel="Move"
        pending={move.isPending}
        error={move.error ? errorMessage(move.error) : undefined}
        onClose={() => setOpen(false)}
        onConfirm={() =>
          move.mutate({ to: to === 'personal' ? { personal: true } : { team: to }, confirm: project.name }, { onSuccess: () => setOpen(false) })
        }
      >
        <Field label="Move to" hint="Your space, or a team you own.">
          {(ids) => (
            <select {...ids} name="move-to" className={inputClass} value={to} onChange={(e) => setTo(e.target.value)}>
              <option value="personal">Your space</option>
              {owned.map((t) => (
                <option key={t.id} value={t.id}>
                  Team {t.name} ({t.slug})
                </option>
              ))}
            </select>
          )}
        </Field>
        <p className="mt-3">
          Who may act on it changes at once: the destination&apos;s people, by their roles. Nothing of it moves: namespace{' '}
          <code className="font-mono text-fg">{project.namespace}</code>, its addresses, volumes and state-repo files stay, and
          its apps keep running.
        </p>
      </ConfirmDialog>
    </>
  );
}
