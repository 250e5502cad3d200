import { randomUUID } from 'node:crypto';
import { ClusterAdmission } from './admission';
import { createNodeIdentity } from './node-identity';
import { Secret } from './secret';

describe('ClusterAdmission: the cluster secret admits, its public half only checks', () => {
  const secret = new Secret('cluster-secret-for-admission');

  it('derives the same admission key from the same secret and another from another secret', () => {
    expect(ClusterAdmission.fromSecret(secret).publicKey).toBe(ClusterAdmission.fromSecret(new Secret('cluster-secret-for-admission')).publicKey);
    expect(ClusterAdmission.fromSecret(new Secret('other')).publicKey).not.toBe(ClusterAdmission.fromSecret(secret).publicKey);
    expect(ClusterAdmission.fromSecret(secret).publicKey).not.toContain('cluster-secret');
  });

  it('admits a signed claim, with the secret or with the public key alone, and nothing edited', async () => {
    const { claim } = await createNodeIdentity(randomUUID(), 'proxy', 1024);
    const full = ClusterAdmission.fromSecret(secret);
    const verifyOnly = ClusterAdmission.fromPublicKey(full.publicKey)!;
    const proof = full.sign(claim);
    expect(full.admits({ ...claim, proof })).toBe(true);
    expect(verifyOnly.admits({ ...claim, proof })).toBe(true);
    for (const edit of [{ node_id: randomUUID() }, { app: 'admin' }, { rsa: '0'.repeat(64) }, { sig_key: Buffer.alloc(32, 1).toString('base64') }]) {
      expect(verifyOnly.admits({ ...claim, ...edit, proof })).toBe(false);
    }
    expect(verifyOnly.admits({ ...claim, proof: ClusterAdmission.fromSecret(new Secret('other')).sign(claim) })).toBe(false);
    expect(verifyOnly.admits({ ...claim, proof: 'A'.repeat(88) })).toBe(false);
    expect(verifyOnly.admits({ ...claim, proof: proof.slice(0, 40) })).toBe(false);
    expect(verifyOnly.admits({ ...claim, node_id: 'not-a-uuid', proof })).toBe(false);
  });

  it('admits with an expiring proof until it ends, and not with its expiry edited', async () => {
    const { claim } = await createNodeIdentity(randomUUID(), 'proxy', 1024);
    const full = ClusterAdmission.fromSecret(secret);
    const verifyOnly = ClusterAdmission.fromPublicKey(full.publicKey)!;
    const now = Date.now();
    const proof = full.sign(claim, { expiresAt: now + 60_000 });
    expect(ClusterAdmission.expiresAt(proof)).toBe(Math.floor((now + 60_000) / 1000) * 1000);
    expect(verifyOnly.admits({ ...claim, proof }, now)).toBe(true);
    // Cached as verified, and still refused once it has ended.
    expect(verifyOnly.admits({ ...claim, proof }, now + 60_000)).toBe(false);
    const [expires, signature] = proof.split('.');
    expect(verifyOnly.admits({ ...claim, proof: `${Number(expires) + 3600}.${signature}` }, now)).toBe(false);
    // The signature of an expiring proof alone is not a proof that never expires.
    expect(verifyOnly.admits({ ...claim, proof: signature! }, now)).toBe(false);
    expect(ClusterAdmission.expiresAt(full.sign(claim))).toBeUndefined();
  });

  it('cannot admit without the secret', async () => {
    const { claim } = await createNodeIdentity(randomUUID(), 'proxy', 1024);
    const verifyOnly = ClusterAdmission.fromPublicKey(ClusterAdmission.fromSecret(secret).publicKey)!;
    expect(verifyOnly.canAdmit).toBe(false);
    expect(() => verifyOnly.sign(claim)).toThrow(/keyring_cluster_secret/);
    expect(ClusterAdmission.fromSecret(secret).canAdmit).toBe(true);
  });

  it('refuses an admission key that is not a raw Ed25519 public key', () => {
    expect(ClusterAdmission.fromPublicKey('')).toBeUndefined();
    expect(ClusterAdmission.fromPublicKey('not base64!')).toBeUndefined();
    expect(ClusterAdmission.fromPublicKey(Buffer.alloc(31).toString('base64'))).toBeUndefined();
  });
});
