export { QUEUES, type QueueName, type JobPayloads, type ReencryptJobData, type RotateJobData, type SecretRefreshJobData } from './names';
export { queueSettings, redisConnection, type QueueSettings } from './connection';
export { requestJob, outboxEnqueuedAt, OutboxRelay, type OutboxRelayOptions } from './outbox';
export { RedisHealth, type RedisHealthOptions, type RedisUser } from './redis-health';
