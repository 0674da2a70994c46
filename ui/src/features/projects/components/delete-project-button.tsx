import type { ProjectDto } from '@dangus/common';
import { useState } from 'react';
import { Button, ConfirmDialog } from '../../../components/ui';
import { errorMessage } from '../../../lib/api-error';
import { useDeleteProject } from '../api/projects';

/** "Delete project", confirmed by typing its name. */
export function DeleteProjectButton({ project, onDeleted }: { project: ProjectDto; onDeleted: () => void }) {
  const [open, setOpen] = useState(false);
  const remove = useDeleteProject();
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete project
      </Button>
      <ConfirmDialog
        open={open}
        title={`Delete project ${project.name}?`}
        confirmText={project.name}
        confirmLabel="Delete project"
        pending={remove.isPending}
        error={remove.error ? errorMessage(remove.error) : undefined}
        onClose={() => {
          setOpen(false);
          remove.reset();
        }}
        onConfirm={() =>
          remove.mutate(project.id, {
            onSuccess: () => {
              setOpen(false);
              onDeleted();
            },
          })
        }
      >
        <p>
          This removes namespace <code className="font-mono text-fg">{project.namespace}</code> and everything in
          it: {project.serviceCount} service{project.serviceCount === 1 ? '' : 's'}, their deployments, volumes
          and env vars. The removal is a commit in the state repo.
        </p>
      </ConfirmDialog>
    </>
  );
}
