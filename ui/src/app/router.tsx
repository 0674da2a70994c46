import { createBrowserRouter } from 'react-router';
import { LoadingBlock } from '../components/ui';
import { SignInPage } from '../features/auth/components/sign-in-page';
import { AppLayout } from './layout';
import { RouteError } from './route-error';
import { DashboardRoute } from './routes/dashboard';
import { NotFoundRoute } from './routes/not-found';
import { ProjectRoute } from './routes/project';

/*
 * The first page stays light (the initial bundle's budget: e2e/bench/ui.ts): the
 * dashboard and the project page come with it; the service page, the deployment page,
 * the new-service form and the admin pages load when first opened, and inside the
 * service page the charts (uPlot) and the diffs (react-diff-view) when their tab opens.
 */
export const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage />, errorElement: <RouteError /> },
  { path: '/setup', lazy: async () => ({ Component: (await import('../features/setup/setup-page')).SetupPage }), errorElement: <RouteError /> },
  {
    element: <AppLayout />,
    errorElement: <RouteError />,
    hydrateFallbackElement: <LoadingBlock label="Loading…" />,
    children: [
      { index: true, element: <DashboardRoute /> },
      { path: 'projects/:projectId', element: <ProjectRoute /> },
      {
        path: 'projects/:projectId/services/new',
        lazy: async () => ({ Component: (await import('./routes/new-service')).NewServiceRoute }),
      },
      { path: 'services/:serviceId/:tab?', lazy: async () => ({ Component: (await import('./routes/service')).ServiceRoute }) },
      {
        path: 'services/:serviceId/deployments/:deploymentId',
        lazy: async () => ({ Component: (await import('./routes/deployment')).DeploymentRoute }),
      },
      {
        path: 'services/:serviceId/previews/:number',
        lazy: async () => ({ Component: (await import('./routes/preview')).PreviewRoute }),
      },
      { path: 'system', lazy: async () => ({ Component: (await import('./routes/system')).SystemRoute }) },
      { path: 'teams', lazy: async () => ({ Component: (await import('./routes/teams')).TeamsRoute }) },
      { path: 'teams/:teamId', lazy: async () => ({ Component: (await import('./routes/teams')).TeamRoute }) },
      { path: 'users', lazy: async () => ({ Component: (await import('./routes/users')).UsersRoute }) },
      // The API's page is read rarely: its code loads on demand, off the first page's bundle.
      { path: 'docs/api', lazy: async () => ({ Component: (await import('../features/api-docs/api-docs-page')).ApiDocsPage }) },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
]);
