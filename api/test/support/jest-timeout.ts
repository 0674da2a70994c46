// `testTimeout` in a project config is ignored under the root's multi-project
// run; these tests start real PostgreSQL databases and git servers.
import { jest } from '@jest/globals';

jest.setTimeout(30_000);
