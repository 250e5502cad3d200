export { startRdsIamProxy, type RdsIamProxy, type RdsIamProxyOptions } from './front';
export { checkToken, type TokenVerifier } from './token';
export { AuthRate } from './stats';
export { selfSignedServerCertificate } from './certificate';
