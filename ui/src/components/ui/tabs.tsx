import { useRef, type KeyboardEvent, type ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';
import { cn } from '../../lib/cn';

export interface TabLink {
  id: string;
  label: string;
  /** The tab's own URL: the address names the tab, so reload, back and forward keep it. */
  to: string;
}

/**
 * Navigation in place: a link that moves between tabs keeps the keyboard focus where it
 * is (layout.tsx moves focus to the page's heading on every other navigation).
 */
export const KEEP_FOCUS = { keepFocus: true } as const;

const tabId = (base: string, id: string) => `${base}-tab-${id}`;
const panelId = (base: string) => `${base}-panel`;

/**
 * Tabs whose every tab is a link to its own URL (WAI-ARIA tabs, automatic activation):
 * ←/→ move to the previous/next tab and open it, Home/End the first/last; only the
 * current tab is in the Tab order, and Tab from it goes into the panel.
 */
export function Tabs({
  label,
  idBase,
  tabs,
  current,
  children,
}: {
  label: string;
  idBase: string;
  tabs: readonly TabLink[];
  current: string;
  children: ReactNode;
}) {
  const navigate = useNavigate();
  const refs = useRef(new Map<string, HTMLAnchorElement>());

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    // From the focused tab: while a tab's content loads, the page still shows the tab before it.
    const focused = tabs.findIndex((t) => refs.current.get(t.id) === event.target);
    const at = focused === -1 ? tabs.findIndex((t) => t.id === current) : focused;
    const next =
      event.key === 'ArrowRight' ? (at + 1) % tabs.length
      : event.key === 'ArrowLeft' ? (at - 1 + tabs.length) % tabs.length
      : event.key === 'Home' ? 0
      : event.key === 'End' ? tabs.length - 1
      : -1;
    const tab = tabs[next];
    if (!tab) return;
    event.preventDefault();
    refs.current.get(tab.id)?.focus();
    void navigate(tab.to, { state: KEEP_FOCUS });
  }

  return (
    <div className="space-y-4">
      <div
        role="tablist"
        aria-label={label}
        onKeyDown={onKeyDown}
        className="-mx-1 flex gap-1 overflow-x-auto border-b border-line px-1"
      >
        {tabs.map((tab) => {
          const selected = tab.id === current;
          return (
            <Link
              key={tab.id}
              ref={(element) => {
                if (element) refs.current.set(tab.id, element);
                else refs.current.delete(tab.id);
              }}
              id={tabId(idBase, tab.id)}
              role="tab"
              to={tab.to}
              state={KEEP_FOCUS}
              aria-selected={selected}
              aria-controls={selected ? panelId(idBase) : undefined}
              tabIndex={selected ? 0 : -1}
              className={cn(
                '-mb-px border-b-2 px-3 py-2 text-sm whitespace-nowrap no-underline',
                selected ? 'border-accent font-medium text-fg' : 'border-transparent text-muted hover:text-fg',
              )}
            >
              {tab.label}
            </Link>
          );
        })}
      </div>
      <div role="tabpanel" id={panelId(idBase)} aria-labelledby={tabId(idBase, current)} tabIndex={0} className="space-y-6 focus:outline-none">
        {children}
      </div>
    </div>
  );
}
