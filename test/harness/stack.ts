// What the tests use of scripts/stack: the one seam between the test suites and the tooling's internals.
export { apiCpuLimitMillis, kafkaRetention, parseCpuQuantity, parseRedisMemory, redisMaxmemory } from '../../scripts/stack/chart-values';
export { cgroupSupport } from '../../scripts/stack/cpu-quota';
export { isRunning, processStartTime, readRecord } from '../../scripts/stack/process-control';
export { portOpen } from '../../scripts/stack/readiness';
export { redisUrl } from '../../scripts/stack/redis-conf';
export { appMain, consumerService, kafkaService, redisService } from '../../scripts/stack/services';
export { doorPort, down, ensureService, runningRecord, stopService, up } from '../../scripts/stack/stack';
export { ROOT, readVersions, stackConfig } from '../../scripts/stack/stack-config';
export type { StackConfig } from '../../scripts/stack/stack-config';
export { keySlot, migrateSlot, redisNodeName, slotOwner } from '../../scripts/stack/redis-cluster';
