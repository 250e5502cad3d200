/** Every queue, its job names and payloads: defined here and nowhere else. */
export const QUEUES = {
  keyringReencrypt: 'keyring-reencrypt',
  keyringRotate: 'keyring-rotate',
  secretRefresh: 'secret-refresh',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

/** Re-encrypt every encrypted field not under `target_key_id` (run `run_id` in keyring_reencrypt_runs). */
export interface ReencryptJobData {
  readonly run_id: string;
  readonly target_key_id: string;
  readonly reason: 'activation' | 'manual' | 'rotation';
}

/** A scheduled rotation: generate, distribute, activate (which requests a re-encryption). */
export interface RotateJobData {
  readonly interval_ms: number;
}

/** Re-read one secret reference whose TTL expired. */
export interface SecretRefreshJobData {
  readonly reference: string;
}

export interface JobPayloads {
  'keyring-reencrypt': ReencryptJobData;
  'keyring-rotate': RotateJobData;
  'secret-refresh': SecretRefreshJobData;
}
