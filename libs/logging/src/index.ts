export { createLogger, memoryLogger, silentLogger, KONG_LEVELS, type KongLogLevel, type Logger, type LoggerOptions } from './logger';
