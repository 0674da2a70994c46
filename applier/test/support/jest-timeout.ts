// setupFilesAfterEnv of the applier project. `testTimeout` in a project config is
// ignored when jest runs several projects (`npm test`: it is a global option), so the
// budget of the tests that drive a real `git http-backend` is set here.
import { jest } from '@jest/globals';

jest.setTimeout(60_000);
