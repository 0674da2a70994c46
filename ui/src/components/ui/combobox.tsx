import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { cn } from '../../lib/cn';
import { inputClass } from './input';

export interface ComboboxProps<T> {
  /** The ids a Field hands its control (label, hint and errors are tied to the input). */
  inputProps: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean };
  name: string;
  /** The text in the input; what the options are filtered by (the parent filters). */
  value: string;
  onValueChange: (text: string) => void;
  options: readonly T[];
  optionKey: (option: T) => string;
  renderOption: (option: T) => ReactNode;
  onPick: (option: T) => void;
  /** The list's accessible name. */
  listLabel: string;
  /** Shown under the options while the list is open: loading, nothing found, "showing 50 of 300". */
  status?: ReactNode;
  placeholder?: string;
  onBlur?: () => void;
  /** Selects the text on focus, so typing replaces a picked value (a repository) instead of appending to it. */
  selectOnFocus?: boolean;
}

/**
 * An editable combobox with a list (the WAI-ARIA "combobox with listbox popup" pattern):
 * typing filters and opens the list; ↓/↑ move through the options (Alt+↓ opens it), Enter
 * picks the active one, Escape closes the list (and clears the text when it is closed),
 * Tab leaves with the text as typed. The focus stays in the input; the active option is
 * `aria-activedescendant`, so screen readers read it. The text may be anything: a combobox
 * whose parent accepts free text (a branch) keeps what was typed.
 */
export function Combobox<T>({
  inputProps,
  name,
  value,
  onValueChange,
  options,
  optionKey,
  renderOption,
  onPick,
  listLabel,
  status,
  placeholder,
  onBlur,
  selectOnFocus = false,
}: ComboboxProps<T>) {
  const listId = useId();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const listRef = useRef<HTMLUListElement>(null);
  const activeIndex = active < options.length ? active : -1;
  const optionId = (index: number) => `${listId}-option-${String(index)}`;

  useEffect(() => {
    if (!open || activeIndex < 0) return;
    const element = listRef.current?.querySelector<HTMLElement>(`[data-index="${String(activeIndex)}"]`);
    element?.scrollIntoView({ block: 'nearest' });
  }, [open, activeIndex]);

  const pick = (option: T) => {
    onPick(option);
    setOpen(false);
    setActive(-1);
  };
  const move = (step: 1 | -1) => {
    if (!open) {
      setOpen(true);
      setActive(step === 1 ? 0 : options.length - 1);
      return;
    }
    if (options.length === 0) return;
    setActive((current) => (current + step + options.length) % options.length);
  };

  return (
    <div className="relative">
      <input
        {...inputProps}
        name={name}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={open}
        aria-controls={listId}
        aria-activedescendant={open && activeIndex >= 0 ? optionId(activeIndex) : undefined}
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder}
        value={value}
        className={inputClass}
        onChange={(event) => {
          onValueChange(event.target.value);
          setOpen(true);
          setActive(0);
        }}
        onClick={() => setOpen(true)}
        onFocus={(event) => {
          if (selectOnFocus) event.currentTarget.select();
        }}
        onBlur={() => {
          setOpen(false);
          setActive(-1);
          onBlur?.();
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') {
            event.preventDefault();
            if (event.altKey) setOpen(true);
            else move(1);
          } else if (event.key === 'ArrowUp') {
            event.preventDefault();
            move(-1);
          } else if (event.key === 'Enter') {
            const option = open && activeIndex >= 0 ? options[activeIndex] : undefined;
            // Enter on an open list picks; otherwise it submits the form as usual.
            if (option !== undefined) {
              event.preventDefault();
              pick(option);
            }
          } else if (event.key === 'Escape') {
            if (open) {
              event.preventDefault();
              setOpen(false);
              setActive(-1);
            } else if (value !== '') {
              event.preventDefault();
              onValueChange('');
            }
          } else if (event.key === 'Tab') {
            setOpen(false);
          }
        }}
      />
      <div
        className={cn(
          'absolute z-20 mt-1 w-full overflow-hidden rounded-md border border-line bg-surface shadow-lg',
          open ? 'block' : 'hidden',
        )}
      >
        <ul ref={listRef} id={listId} role="listbox" aria-label={listLabel} className="max-h-72 overflow-y-auto py-1">
          {options.map((option, index) => (
            <li
              key={optionKey(option)}
              id={optionId(index)}
              data-index={index}
              role="option"
              aria-selected={index === activeIndex}
              className={cn('cursor-pointer px-3 py-2 text-sm', index === activeIndex ? 'bg-surface-2 text-fg' : 'text-fg')}
              // Keep the focus in the input: the pick happens on click.
              onMouseDown={(event) => event.preventDefault()}
              onMouseMove={() => setActive(index)}
              onClick={() => pick(option)}
            >
              {renderOption(option)}
            </li>
          ))}
        </ul>
        {status ? <div aria-live="polite" className="border-t border-line px-3 py-2 text-xs text-muted">{status}</div> : null}
      </div>
    </div>
  );
}
