import { useState, type ReactNode } from 'react';
import { errorMessage } from '../../lib/api-error';
import { Button } from './button';
import { ConfirmDialog } from './confirm-dialog';

/** The part of a TanStack mutation the button needs. */
export interface DeleteMutation {
  isPending: boolean;
  error: unknown;
  reset(): void;
}

/**
 * "Delete {noun}", confirmed by typing the resource's name; `remove(done)`
 * starts the deletion and calls `done` once it succeeded.
 */
export function DeleteButton({
  noun,
  name,
  mutation,
  remove,
  onDeleted,
  children,
}: {
  noun: string;
  name: string;
  mutation: DeleteMutation;
  remove: (done: () => void) => void;
  onDeleted: () => void;
  children: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Delete {noun}
      </Button>
      <ConfirmDialog
        open={open}
        title={`Delete ${noun} ${name}?`}
        confirmText={name}
        confirmLabel={`Delete ${noun}`}
        pending={mutation.isPending}
        error={mutation.error ? errorMessage(mutation.error) : undefined}
        onClose={() => {
          setOpen(false);
          mutation.reset();
        }}
        onConfirm={() =>
          remove(() => {
            setOpen(false);
            onDeleted();
          })
        }
      >
        {children}
      </ConfirmDialog>
    </>
  );
}
