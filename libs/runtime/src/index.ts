export { confOption, parseAppArgs, UsageError, type AppArgs } from './app-args';
export { openDatabases, createMigrator, type Databases, type OpenDatabasesOptions } from './database';
export { listenAll, closeServers, serveHttp, type BoundAddress } from './listen';
export { createNodeInfo, uptimeSeconds, VERSION, type AppName, type NodeInfo } from './node-info';
export { runApp, type AppContext, type RunAppOptions } from './run-app';
export { StatusServer, type ReadinessCheck, type StatusSection } from './status-server';
export { startBus } from './bus';
