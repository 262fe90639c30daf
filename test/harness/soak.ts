// What the tests use of scripts/soak: the one seam between the test suites and the tooling's internals.
export { DEFAULT_SOAK } from '../../scripts/soak/soak-args';
export { SOAK_STACK_ENV, SOAK_TEST_STACK_ENV } from '../../scripts/soak/soak-ports';
export { catchUpBoundS } from '../../scripts/soak/soak-stats';
