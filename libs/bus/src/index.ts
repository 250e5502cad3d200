export { Bus, notify, type BusOptions, type BusStatus } from './bus';
export { channel, MAX_PAYLOAD_BYTES, PayloadTooLargeError, type Channel } from './channel';
