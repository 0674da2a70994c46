import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { Button } from './button';
import { Input } from './input';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  children?: ReactNode;
  /** When set, the confirm button stays disabled until this exact text is typed. */
  confirmText?: string;
  confirmLabel?: string;
  pending?: boolean;
  error?: string | undefined;
  onConfirm: () => void;
  onClose: () => void;
}

/**
 * A modal confirmation on the native <dialog>: focus moves in and is trapped,
 * Escape closes it, focus returns to the opener. For destructive actions the
 * user types the resource's name.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmText,
  confirmLabel = 'Delete',
  pending = false,
  error,
  onConfirm,
  onClose,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const titleId = useId();
  const inputId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      setTyped('');
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);

  const matches = confirmText === undefined || typed === confirmText;

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onClose={onClose}
      onCancel={(event) => {
        if (pending) event.preventDefault();
      }}
      className="m-auto w-[calc(100%-2rem)] max-w-md rounded-lg border border-line bg-surface p-0 text-fg shadow-2xl"
    >
      <form
        method="dialog"
        className="space-y-4 p-5"
        onSubmit={(event) => {
          event.preventDefault();
          if (matches && !pending) onConfirm();
        }}
      >
        <h2 id={titleId} className="text-lg font-semibold">
          {title}
        </h2>
        {children ? <div className="space-y-2 text-sm text-muted">{children}</div> : null}
        {confirmText !== undefined ? (
          <div className="space-y-1.5">
            <label htmlFor={inputId} className="block text-sm text-fg">
              Type <code className="rounded bg-surface-2 px-1 py-0.5 font-mono text-fg">{confirmText}</code> to
              confirm
            </label>
            <Input
              id={inputId}
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              autoComplete="off"
              spellCheck={false}
              autoFocus
            />
          </div>
        ) : null}
        {error ? (
          <p role="alert" className="text-sm text-bad">
            {error}
          </p>
        ) : null}
        <div className="flex flex-wrap justify-end gap-2 pt-1">
          <Button onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button type="submit" variant="danger" disabled={!matches} loading={pending}>
            {confirmLabel}
          </Button>
        </div>
      </form>
    </dialog>
  );
}
