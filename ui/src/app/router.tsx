import { createBrowserRouter } from 'react-router';
import { SignInPage } from '../features/auth/components/sign-in-page';
import { AppLayout } from './layout';
import { RouteError } from './route-error';
import { DashboardRoute } from './routes/dashboard';
import { DeploymentRoute } from './routes/deployment';
import { NewServiceRoute } from './routes/new-service';
import { NotFoundRoute } from './routes/not-found';
import { ProjectRoute } from './routes/project';
import { ServiceRoute } from './routes/service';
import { SystemRoute } from './routes/system';
import { UsersRoute } from './routes/users';

export const router = createBrowserRouter([
  { path: '/sign-in', element: <SignInPage />, errorElement: <RouteError /> },
  {
    element: <AppLayout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <DashboardRoute /> },
      { path: 'projects/:projectId', element: <ProjectRoute /> },
      { path: 'projects/:projectId/services/new', element: <NewServiceRoute /> },
      { path: 'services/:serviceId', element: <ServiceRoute /> },
      { path: 'services/:serviceId/deployments/:deploymentId', element: <DeploymentRoute /> },
      { path: 'system', element: <SystemRoute /> },
      { path: 'users', element: <UsersRoute /> },
      // The API's page is read rarely: its code loads on demand, off the first page's bundle.
      { path: 'docs/api', lazy: async () => ({ Component: (await import('../features/api-docs/api-docs-page')).ApiDocsPage }) },
      { path: '*', element: <NotFoundRoute /> },
    ],
  },
]);
