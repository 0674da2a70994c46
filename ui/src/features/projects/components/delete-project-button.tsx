import type { ProjectDto } from '@dangus/common';
import { DeleteButton } from '../../../components/ui';
import { useDeleteProject } from '../api/projects';

/** "Delete project", confirmed by typing its name. */
export function DeleteProjectButton({ project, onDeleted }: { project: ProjectDto; onDeleted: () => void }) {
  const remove = useDeleteProject();
  return (
    <DeleteButton
      noun="project"
      name={project.name}
      mutation={remove}
      remove={(done) => remove.mutate(project.id, { onSuccess: done })}
      onDeleted={onDeleted}
    >
      <p>
        This removes namespace <code className="font-mono text-fg">{project.namespace}</code> and everything in
        it: {project.serviceCount} service{project.serviceCount === 1 ? '' : 's'}, their deployments, volumes
        and env vars. The removal is a commit in the state repo.
      </p>
    </DeleteButton>
  );
}
