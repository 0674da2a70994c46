// A node test environment that hands each test the timeout jest-circus runs it with,
// read through the documented event hook of custom environments (handleTestEvent and
// its state: https://jestjs.io/docs/configuration#testenvironment-string). Used by
// test/budget.test.ts through its `@jest-environment` docblock.
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';

/** The global a test reads its own budget from (ms). */
export const BUDGET_GLOBAL = '__dangusTestTimeoutMs';

export default class BudgetEnvironment extends TestEnvironment {
  handleTestEvent(event: Circus.Event, state: Circus.State): void {
    // jest-circus runs a test with `test.timeout || state.testTimeout`.
    if (event.name === 'test_fn_start') this.global[BUDGET_GLOBAL] = event.test.timeout ?? state.testTimeout;
  }
}
