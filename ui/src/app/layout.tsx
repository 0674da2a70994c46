import { useEffect, useRef } from 'react';
import { Link, NavLink, Navigate, Outlet, useLocation } from 'react-router';
import { paths } from './paths';
import { Alert, Button, LoadingBlock } from '../components/ui';
import { useMe, useSignOut } from '../features/auth/api/auth';
import { useLiveEvents } from '../features/deployments/api/live-events';
import { errorMessage } from '../lib/api-error';
import { cn } from '../lib/cn';
import { LiveStatusProvider } from '../lib/live-status';
import type { SseStatus } from '../lib/sse/sse-client';
import { Logo } from '../components/ui/logo';
import { NoClusterBanner } from '../features/cluster/no-cluster-banner';

const LIVE_WORDS: Record<SseStatus, { label: string; tone: string; title: string }> = {
  open: { label: 'Live', tone: 'bg-ok', title: 'Status updates arrive as they happen.' },
  connecting: { label: 'Connecting', tone: 'bg-idle', title: 'Connecting to live updates…' },
  reconnecting: {
    label: 'Reconnecting',
    tone: 'bg-warn',
    title: 'Live updates were interrupted; reconnecting. Pages refresh every few seconds meanwhile.',
  },
  unavailable: {
    label: 'Polling',
    tone: 'bg-idle',
    title: 'This server has no live event stream yet; pages refresh every few seconds instead.',
  },
  unauthorized: { label: 'Signed out', tone: 'bg-bad', title: 'Your session has ended.' },
  closed: { label: 'Offline', tone: 'bg-idle', title: 'Live updates are off.' },
};

function LiveIndicator({ status }: { status: SseStatus }) {
  const look = LIVE_WORDS[status];
  return (
    <span className="hidden items-center gap-1.5 text-xs text-muted sm:inline-flex" title={look.title}>
      <span aria-hidden="true" className={cn('size-2 rounded-full', look.tone)} />
      {look.label}
      <span className="sr-only">: {look.title}</span>
    </span>
  );
}

const navClass = ({ isActive }: { isActive: boolean }) =>
  cn(
    'rounded-md px-2.5 py-1.5 text-sm no-underline',
    isActive ? 'bg-surface-2 text-fg' : 'text-muted hover:text-fg',
  );

/**
 * Moves focus to the main heading on navigation, so screen readers hear the new page;
 * not when a tab of the same page is opened (its link keeps the focus: KEEP_FOCUS).
 */
function useFocusOnNavigate() {
  const location = useLocation();
  const first = useRef(true);
  const keepFocus = (location.state as { keepFocus?: boolean } | null)?.keepFocus === true;
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    if (keepFocus) return;
    document.querySelector<HTMLElement>('main h1')?.focus({ preventScroll: false });
  }, [location.pathname, keepFocus]);
}

/** The signed-in frame: header, live status, and the page. */
export function AppLayout() {
  const me = useMe();
  const signOut = useSignOut();
  const live = useLiveEvents(Boolean(me.data));
  const location = useLocation();
  useFocusOnNavigate();

  if (me.isPending) return <LoadingBlock label="Loading your session…" />;
  if (me.error) {
    return (
      <main className="mx-auto max-w-xl px-4 py-16">
        <Alert
          tone="error"
          title="Could not reach the Dangus Cloud api"
          action={<Button onClick={() => void me.refetch()}>Try again</Button>}
        >
          {errorMessage(me.error)}
        </Alert>
      </main>
    );
  }
  if (!me.data) return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />;

  return (
    <LiveStatusProvider status={live}>
      <a
        href="#main"
        className="sr-only focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:rounded-md focus:bg-surface-2 focus:px-3 focus:py-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-30 border-b border-line bg-bg/90 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-4">
          <Link to="/" className="flex items-center gap-2 font-semibold text-fg no-underline">
            <Logo className="size-7" />
            <span className="hidden sm:inline">Dangus Cloud</span>
          </Link>
          <nav aria-label="Main" className="flex items-center gap-1">
            <NavLink to="/" end className={navClass}>
              Projects
            </NavLink>
            <NavLink to={paths.teams} className={navClass}>
              Teams
            </NavLink>
            {me.data.role === 'admin' ? (
              <>
                <NavLink to="/users" className={navClass}>
                  Users
                </NavLink>
                <NavLink to="/system" className={navClass}>
                  System
                </NavLink>
              </>
            ) : null}
            <NavLink to={paths.apiDocs} className={navClass}>
              API
            </NavLink>
          </nav>
          <div className="ml-auto flex items-center gap-3">
            <LiveIndicator status={live} />
            <span className="hidden text-sm text-muted md:inline" title={`User hash ${me.data.hash}`}>
              {me.data.githubUsername}
            </span>
            <Button size="sm" variant="ghost" loading={signOut.isPending} onClick={() => signOut.mutate()}>
              Sign out
            </Button>
          </div>
        </div>
        <NoClusterBanner />
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-6 sm:py-8">
        <Outlet />
      </main>
    </LiveStatusProvider>
  );
}
