export { confOption, parseAppArgs, UsageError, type AppArgs } from './app-args';
export { openDatabases, createMigrator, type Databases, type OpenDatabasesOptions } from './database';
export { listenAll, closeServers, serveHttp, httpServer, type BoundAddress, type Server, type ServerFactory } from './listen';
export { loadListenerTls, protocolOptions, ListenerTlsError, type ListenerTls, type TlsListenerName } from './listener-tls';
export { createNodeInfo, uptimeSeconds, VERSION, type AppName, type NodeInfo } from './node-info';
export { runApp, type AppContext, type RunAppOptions } from './run-app';
export { StatusServer, type ReadinessCheck, type StatusSection } from './status-server';
export { startBus } from './bus';
export { createNodeRegistry, registerDatabaseMetrics, METRICS_CONTENT_TYPE } from './metrics';
