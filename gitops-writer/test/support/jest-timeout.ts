// setupFilesAfterEnv of the gitops-writer project. `testTimeout` in a project config is
// ignored when jest runs several projects (`npm test`: it is a global option), so the
// budget of these tests, which drive real git repositories and `kubectl kustomize`, is
// set here.
import { jest } from '@jest/globals';

jest.setTimeout(60_000);
