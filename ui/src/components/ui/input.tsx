import { useId, type InputHTMLAttributes, type ReactNode } from 'react';
import { cn } from '../../lib/cn';

export const inputClass =
  'block w-full rounded-md border bg-bg px-3 py-2 text-sm text-fg placeholder:text-muted/70 ' +
  'disabled:opacity-60 aria-[invalid=true]:border-bad border-line focus-visible:border-focus';

export function Input({ className, ...rest }: InputHTMLAttributes<HTMLInputElement>) {
  return <input className={cn(inputClass, className)} {...rest} />;
}

export interface FieldProps {
  label: ReactNode;
  /** Help text under the input. */
  hint?: ReactNode;
  /** Messages shown in red and tied to the input with aria-describedby. */
  errors?: readonly string[] | undefined;
  className?: string;
  /** Renders the control with the ids it must carry. */
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}

/** A labelled form control with its hint and errors, wired for screen readers. */
export function Field({ label, hint, errors, className, children }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const hasErrors = errors !== undefined && errors.length > 0;
  const describedBy = [hint ? hintId : null, hasErrors ? errorId : null].filter(Boolean).join(' ');
  return (
    <div className={cn('space-y-1.5', className)}>
      <label htmlFor={id} className="block text-sm font-medium text-fg">
        {label}
      </label>
      {children({
        id,
        ...(describedBy ? { 'aria-describedby': describedBy } : {}),
        ...(hasErrors ? { 'aria-invalid': true } : {}),
      })}
      {hint ? (
        <p id={hintId} className="text-xs text-muted">
          {hint}
        </p>
      ) : null}
      {hasErrors ? (
        <ul id={errorId} className="space-y-0.5 text-xs text-bad" aria-live="polite">
          {errors.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
