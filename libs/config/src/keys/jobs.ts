import { key } from '../spec';
import { duration, integer, string } from '../types';

/** Background jobs (BullMQ on Redis at `redis_url`) and the keyring's automatic rotation. */
export const JOB_KEYS = {
  redis_prefix: key({
    type: string('a key prefix such as keygate'),
    default: 'keygate',
    origin: 'keygate',
    doc: 'Prefix of every Redis key Keygate uses (queues), so several clusters can share one Redis.',
  }),
  keyring_reencrypt_batch_size: key({
    type: integer(1, 10_000),
    default: '1000',
    origin: 'keygate',
    doc: 'Rows per transaction when re-encrypting after a key activation (each batch is checkpointed).',
  }),
  keyring_rotation_interval: key({
    type: duration(),
    origin: 'keygate',
    doc: 'Generate, distribute, activate a new key and re-encrypt, on this interval (e.g. `30d`), once per interval cluster-wide. Unset: off.',
  }),
  keyring_remove_old_keys_after: key({
    type: duration(),
    origin: 'keygate',
    doc: 'Remove a key that is no longer active once re-encryption left no row using it and it has been inactive this long (e.g. `7d`). Unset: keys are never removed automatically.',
  }),
};
