import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decryptField, encryptField, newDataKey, newKeyId, Secret } from '@keygate/crypto';
import { basicAuthCredentials, revealEntity, type Entity } from '@keygate/entities';
import { Keyring, KeyringFieldProtector } from '@keygate/keyring';
import { silentLogger } from '@keygate/logging';
import { measure, report, machine, runBench } from './measure';

/**
 * `npm run bench:crypto`: the field cipher next to raw AES-256-GCM (`createCipheriv`) in the same
 * run, and what the entity layer adds per credential read.
 */
async function main(): Promise<void> {
  const material = newDataKey();
  const key = { id: newKeyId(), key: new Secret(material) };
  const context = { table: 'basicauth_credentials', field: 'password', id: '6375b5fd-9c95-4822-b2dd-80ffbccb7ec9' };
  const plaintext = 'da61c0083b6d19ef3db2490d0da96a71572da0fa'; // a basic-auth hash: 40 characters
  const sample = encryptField(plaintext, key, context);

  const rawEncrypt = await measure('raw createCipheriv aes-256-gcm encrypt', () => {
    const cipher = createCipheriv('aes-256-gcm', material, randomBytes(12));
    return Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]).toString('hex');
  });
  const iv = randomBytes(12);
  const rawCipher = createCipheriv('aes-256-gcm', material, iv);
  const rawBody = Buffer.concat([rawCipher.update(plaintext, 'utf8'), rawCipher.final()]);
  const rawTag = rawCipher.getAuthTag();
  const rawDecrypt = await measure('raw createDecipheriv aes-256-gcm decrypt', () => {
    const decipher = createDecipheriv('aes-256-gcm', material, iv);
    decipher.setAuthTag(rawTag);
    return Buffer.concat([decipher.update(rawBody), decipher.final()]).toString('utf8');
  });
  const fieldEncrypt = await measure('encryptField ($ke$2$, AAD, hex)', () => encryptField(plaintext, key, context));
  const fieldDecrypt = await measure('decryptField ($ke$2$, tag verified)', () => decryptField(sample, () => key, context));

  const keyring = new Keyring();
  keyring.add(key);
  keyring.activate(key.id);
  const protector = new KeyringFieldProtector(true, keyring, silentLogger());
  const stored: Entity = { id: context.id, created_at: 1, consumer: { id: 'c0ffee00-0000-4000-8000-000000000000' }, username: 'bob', password: sample, tags: null };
  const entityRead = await measure('entity read (revealEntity: schema paths + decrypt)', () => revealEntity(basicAuthCredentials, stored, protector));

  process.stdout.write(`machine: ${machine()}\n`);
  report('Field encryption', [
    rawEncrypt,
    { ...fieldEncrypt, baseline: rawEncrypt },
    rawDecrypt,
    { ...fieldDecrypt, baseline: rawDecrypt },
    { ...entityRead, baseline: fieldDecrypt },
  ]);
  process.stdout.write(`\n  entity layer cost per read: ${((1 / entityRead.opsPerSec - 1 / fieldDecrypt.opsPerSec) * 1e6).toFixed(2)} µs over the decrypt itself\n`);
}

runBench(main);
