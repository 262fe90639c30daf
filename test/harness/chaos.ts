// What the tests use of scripts/chaos: the one seam between the test suites and the tooling's internals.
export { rowProblems } from '../../scripts/chaos/audit';
export { CHAOS_STACK_ENV, CHAOS_TEST_STACK_ENV, DEFAULT_EPHEMERAL_LOW, chaosConfig, listeningPorts } from '../../scripts/chaos/chaos-ports';
export type { FaultDetail } from '../../scripts/chaos/chaos-types';
export { FAULTS, selectFaults } from '../../scripts/chaos/faults';
export type { Fault } from '../../scripts/chaos/faults';
export { PROFILES } from '../../scripts/chaos/profiles';
export { consoleTable } from '../../scripts/chaos/report';
export { runChaos } from '../../scripts/chaos/run-chaos';
