export { REPO_ROOT, TEST_LOG_DIR, staleBuilds } from './paths';
export { testServices, redisPrefix, assertRedisReachable, plantedSecret, freePort, freePortBlock, PLANTED_MARKER, type TestServices } from './services';
export { TestDatabase, useTestDatabase } from './database';
export { AppProcess, ManagedProcess, runCli, baseEnv, type AppName, type ExitResult, type StartAppOptions } from './processes';
export { TcpProxy } from './tcp-proxy';
export { httpClient, type HttpClient, type HttpResult, type Body } from './http-client';
export { rawRequest, type RawRequest } from './raw-http';
export { rsaKeyFiles, selfSignedCertificate, type RsaFiles } from './rsa-fixtures';
export { tlsRequest, type TlsResult, type TlsRequestOptions } from './tls-client';
