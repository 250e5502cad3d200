export { errorsOf, HcvClient, HcvUnreachableError, trimPath, type HcvCallOptions, type HcvClientOptions, type HcvResponse } from './client';
