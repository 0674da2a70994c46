// setupFilesAfterEnv of the e2e project. `testTimeout` in a project config is ignored when
// jest runs several projects (it is a global option), so the e2e budget is set here.
import { jest } from '@jest/globals';

jest.setTimeout(300_000);
