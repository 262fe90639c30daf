// What the tests use of scripts/experiment: the one seam between the test suites and the tooling's internals.
export { baselinePorts } from '../../scripts/experiment/baseline';
export { contentionSummary } from '../../scripts/experiment/contention';
export { contentionLimits, loadDefinitions } from '../../scripts/experiment/definitions';
export { PROFILE_ENV } from '../../scripts/experiment/profile';
export { histogramAbove, parsePromText } from '../../scripts/experiment/prom-text';
export { guardedStep, stepRunner } from '../../scripts/experiment/step-runner';
export { vegetaDriver, writeTargets } from '../../scripts/experiment/vegeta';
