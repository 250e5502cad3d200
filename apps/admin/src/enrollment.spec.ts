import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { ClusterAdmission, formatNodeCredential, joinProof, newJoinKeyPair, newSigningKeyPair, openJoinAnswer, parseNodeCredential, Secret } from '@keygate/crypto';
import { AppProcess, httpClient, plantedSecret, runCli, useTestDatabase, type HttpClient } from '@keygate/testing';

/**
 * The enrollment API: one-time tokens (hashed, single use, expiring, revocable, listed without
 * values), their exchange for a node credential, and the join with that credential, under RBAC
 * and against a database writer.
 */
const database = useTestDatabase();
const clusterSecret = plantedSecret('cluster-secret');
const password = plantedSecret('kong-password');
let admin: AppProcess;
let writer: pg.Client;
let roToken: string;

const pgPassword = plantedSecret('pg-password');
// A reference, as an operator should configure it (the test database trusts any password).
const env = () => ({ ...database.get().env(), KONG_PG_PASSWORD: '{vault://env/enroll-pg-password}', ENROLL_PG_PASSWORD: pgPassword, KONG_ENFORCE_RBAC: 'on', KONG_AUDIT_LOG: 'on', KONG_KEYRING_ENABLED: 'on', KONG_KEYRING_CLUSTER_SECRET: clusterSecret });
const as = (token?: string): HttpClient => httpClient(admin.url('admin'), token === undefined ? {} : { 'Kong-Admin-Token': token });
const root = () => as(password);
const enroll = (token: string) => as().post<{ message?: string; credential_id?: string; settings?: Record<string, string> }>('/cluster/enroll', { json: { token } });

async function newToken(body: Record<string, unknown> = {}): Promise<{ id: string; token: string; expires_at: number }> {
  const res = await root().post<{ id: string; token: string; expires_at: number }>('/cluster/enrollment-tokens', { json: body });
  expect(res.status).toBe(201);
  return res.json;
}

/** What a node sends to `POST /cluster/join`, made with its credential text. */
function joinRequest(credentialText: string, app = 'proxy') {
  const credential = parseNodeCredential(credentialText)!;
  const keys = newJoinKeyPair();
  const identity = { rsa: randomBytes(32).toString('hex'), sig_key: newSigningKeyPair().publicKey };
  const claim = { credential_id: credential.id, node_id: randomUUID(), app, hostname: 'node-1', ...identity, public_key: keys.publicKey, ts: Date.now(), nonce: randomUUID() };
  return { credential, keys, claim, body: { ...claim, proof: joinProof(credential.secret, claim) } };
}

beforeAll(async () => {
  await runCli(['migrations', 'up'], { env: { ...env(), KONG_PASSWORD: password } });
  admin = await AppProcess.start('admin', { env: env() });
  roToken = plantedSecret('ro-token');
  expect((await root().post('/rbac/users', { json: { name: 'ro', user_token: roToken } })).status).toBe(201);
  await root().post('/rbac/users/ro/roles', { form: { roles: 'read-only' } });
  writer = await database.get().attacker({ tables: 'write' });
}, 120_000);
afterAll(async () => {
  await writer?.end();
  await admin?.stop();
});

describe('enrollment tokens', () => {
  it('are created with a 10-minute default expiry, stored only as a keyed hash, and listed without values', async () => {
    const before = Math.floor(Date.now() / 1000);
    const created = await newToken({ app: 'proxy', tags: ['eu', 'edge'] });
    expect(created.token).toMatch(/^kge1_[A-Za-z0-9_-]{43}$/);
    expect(created.expires_at).toBeGreaterThanOrEqual(before + 600 - 5);
    expect(created.expires_at).toBeLessThanOrEqual(before + 600 + 5);
    const listed = await root().get<{ data: Array<Record<string, unknown>> }>('/cluster/enrollment-tokens');
    const row = listed.json.data.find((t) => t.id === created.id);
    expect(row).toMatchObject({ app: 'proxy', tags: ['eu', 'edge'], state: 'pending', consumed_at: null });
    expect(JSON.stringify(listed.json)).not.toContain(created.token);
    const stored = await writer.query('SELECT * FROM cluster_enrollment_tokens WHERE id = $1', [created.id]);
    expect(JSON.stringify(stored.rows)).not.toContain(created.token);
    expect(JSON.stringify(stored.rows)).not.toContain(created.token.slice(5));
  });

  it('refuse bad input with a 400 naming the field', async () => {
    expect(await root().post('/cluster/enrollment-tokens', { json: { ttl: -1 } })).toMatchObject({ status: 400, json: { message: expect.stringContaining('ttl:') } });
    expect(await root().post('/cluster/enrollment-tokens', { json: { app: 'router' } })).toMatchObject({ status: 400, json: { message: expect.stringContaining('app:') } });
    expect(await root().post('/cluster/enrollment-tokens', { json: { tags: [1] } })).toMatchObject({ status: 400, json: { message: expect.stringContaining('tags:') } });
    expect(await as().post('/cluster/enroll', { json: {} })).toMatchObject({ status: 400, json: { message: 'token: required field missing' } });
  });

  it('are used once: of two exchanges at the same time exactly one wins, and the use is recorded', async () => {
    const { id, token } = await newToken();
    const results = await Promise.all([enroll(token), enroll(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 410]);
    const won = results.find((r) => r.status === 200)!;
    expect(won.json.settings?.cluster_node_credential).toMatch(/^kgn1\./);
    // Database settings as the operator gave them: the reference, never its value; no cluster secret.
    expect(won.json.settings).toMatchObject({ pg_password: '{vault://env/enroll-pg-password}', pg_database: database.get().settings().pg_database });
    expect(won.json.settings).not.toHaveProperty('keyring_cluster_secret');
    expect(JSON.stringify(won.json)).not.toContain(pgPassword);
    expect(JSON.stringify(won.json)).not.toContain(clusterSecret);
    expect(results.find((r) => r.status === 410)!.json.message).toBe(`enrollment token ${id} has already been used`);
    const row = (await root().get<Record<string, unknown>>(`/cluster/enrollment-tokens/${id}`)).json;
    expect(row).toMatchObject({ state: 'used', credential_id: won.json.credential_id, consumed_by: expect.stringContaining('127.0.0.1') });
    await admin.waitForLine((line) => line.includes('"msg":"enrollment token used"'), 10_000);
    const audit = await root().get<{ data: Array<{ dao_name: string; operation: string; entity_key: string; entity: string }> }>('/audit/objects?size=1000');
    const record = audit.json.data.find((r) => r.dao_name === 'cluster_enrollment_tokens' && r.operation === 'enroll' && r.entity_key === id);
    expect(record?.entity).toContain(String(won.json.credential_id));
  });

  it('say which: unknown (401), revoked, expired (410); ott-init exits 1 with the reason', async () => {
    expect(await enroll('kge1_nope')).toMatchObject({ status: 401, json: { message: 'Invalid enrollment token' } });
    const revoked = await newToken();
    expect((await root().delete(`/cluster/enrollment-tokens/${revoked.id}`)).status).toBe(204);
    expect(await enroll(revoked.token)).toMatchObject({ status: 410, json: { message: `enrollment token ${revoked.id} was revoked` } });
    const expired = await newToken({ ttl: 1 });
    await new Promise((r) => setTimeout(r, 1500));
    const cli = await runCli(['ott-init', expired.token, '--admin-url', admin.url('admin')]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`Error: enrollment token ${expired.id} has expired`);
    expect(cli.stdout).toBe('');
  });

  it('are not for the admin role: a token would get it a node admitted to the keyring it is denied', async () => {
    const admToken = plantedSecret('adm-token');
    expect((await root().post('/rbac/users', { json: { name: 'adm', user_token: admToken } })).status).toBe(201);
    expect((await root().post('/rbac/users/adm/roles', { json: { roles: 'admin' } })).status).toBe(201);
    expect((await as(admToken).get('/rbac/users')).status).toBe(403);
    // The path it would take: a token, the node configuration it is exchanged for, a join.
    const made = await as(admToken).post<{ token?: string }>('/cluster/enrollment-tokens', { json: {} });
    const joined = made.json.token ? await enroll(made.json.token).then(async (res) => {
      const { credential, keys, claim, body } = joinRequest(res.json.settings!.cluster_node_credential!);
      const answer = await as().post<{ public_key: string; iv: string; ciphertext: string; tag: string }>('/cluster/join', { json: body });
      return answer.status === 200 && openJoinAnswer(credential.secret, claim, keys.privateKey, answer.json).proof !== '';
    }) : false;
    expect(joined).toBe(false);
    expect(made).toMatchObject({ status: 403, json: { message: 'adm, you do not have permissions to create this resource' } });
    expect((await as(admToken).get('/cluster/credentials')).status).toBe(403);
  });

  it('need an explicit /cluster permission: read-only cannot list them; enroll and join need no token', async () => {
    expect(await as(roToken).get('/cluster/enrollment-tokens')).toMatchObject({ status: 403, json: { message: 'ro, you do not have permissions to read this resource' } });
    expect(await as(roToken).get('/cluster/credentials')).toMatchObject({ status: 403 });
    expect((await as().get('/cluster/enrollment-tokens')).status).toBe(401);
    expect((await as().post('/cluster/enroll', { json: { token: 'kge1_x' } })).status).toBe(401);
    expect((await as().post('/cluster/join', { json: {} })).status).toBe(400);
  });
});

describe('node credentials', () => {
  let credentialText: string;
  let credentialId: string;

  beforeAll(async () => {
    const res = await enroll((await newToken({ app: 'proxy' })).token);
    credentialText = res.json.settings!.cluster_node_credential!;
    credentialId = String(res.json.credential_id);
  });

  it('admit a node: the proof for its keys comes back sealed to it, readable with its credential only; never the cluster secret', async () => {
    const { credential, keys, claim, body } = joinRequest(credentialText);
    const res = await as().post<{ public_key: string; iv: string; ciphertext: string; tag: string }>('/cluster/join', { json: body });
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.json)).not.toContain(clusterSecret);
    const grant = openJoinAnswer(credential.secret, claim, keys.privateKey, res.json);
    expect(JSON.stringify(grant)).not.toContain(clusterSecret);
    expect(grant.admission_key).toBe(ClusterAdmission.fromSecret(new Secret(clusterSecret)).publicKey);
    const admission = ClusterAdmission.fromPublicKey(grant.admission_key)!;
    const member = { node_id: claim.node_id, app: claim.app, rsa: claim.rsa, sig_key: claim.sig_key };
    expect(admission.admits({ ...member, proof: grant.proof })).toBe(true);
    // The proof admits the keys the node named and nothing else: not another key, not another app.
    expect(admission.admits({ ...member, sig_key: newSigningKeyPair().publicKey, proof: grant.proof })).toBe(false);
    expect(admission.admits({ ...member, app: 'keyring-broker', proof: grant.proof })).toBe(false);
    const other = parseNodeCredential(formatNodeCredential(credential.id, new Secret(Buffer.alloc(32, 7))))!;
    expect(() => openJoinAnswer(other.secret, claim, keys.privateKey, res.json)).toThrow();
  });

  it('admit only nodes of the app their token was made for, and never control-plane nodes', async () => {
    expect(await as().post('/cluster/join', { json: joinRequest(credentialText, 'vault-resolver').body })).toMatchObject({
      status: 403,
      json: { message: `node credential ${credentialId} admits proxy nodes only, not vault-resolver` },
    });
    // (A join as admin is refused too: tests/integration's aws-secret-node spec starts one.)
    for (const app of ['admin', 'keyring-broker']) {
      expect(await root().post('/cluster/enrollment-tokens', { json: { app } })).toMatchObject({ status: 400, json: { message: 'app: expected one of: proxy, vault-resolver' } });
    }
  });

  it('refuse a wrong proof, and a credential a database writer inserted', async () => {
    const { body } = joinRequest(credentialText);
    expect(await as().post('/cluster/join', { json: { ...body, proof: 'AAAA' } })).toMatchObject({ status: 403, json: { message: `invalid proof for node credential ${credentialId}` } });
    const forgedId = randomUUID();
    const row = (await writer.query('SELECT mac FROM cluster_credentials WHERE id = $1', [credentialId])).rows[0] as { mac: string };
    await writer.query('INSERT INTO cluster_credentials (id, app, label, mac) VALUES ($1, $2, $3, $4)', [forgedId, 'proxy', 'mine', row.mac]);
    const forged = joinRequest(formatNodeCredential(forgedId, new Secret(Buffer.alloc(32, 1))));
    expect(await as().post('/cluster/join', { json: forged.body })).toMatchObject({ status: 403, json: { message: `invalid proof for node credential ${forgedId}` } });
  });

  it('tell a client without the credential nothing about it: unknown, revoked and edited all answer "invalid proof"', async () => {
    const revoked = await enroll((await newToken()).token);
    const revokedId = String(revoked.json.credential_id);
    expect((await root().delete(`/cluster/credentials/${revokedId}`)).status).toBe(204);
    const edited = await enroll((await newToken()).token);
    const editedId = String(edited.json.credential_id);
    await writer.query("UPDATE cluster_credentials SET label = 'edited' WHERE id = $1", [editedId]);
    for (const id of [randomUUID(), revokedId, editedId]) {
      const guess = joinRequest(formatNodeCredential(id, new Secret(Buffer.alloc(32, 9))));
      expect(await as().post('/cluster/join', { json: guess.body })).toMatchObject({ status: 403, json: { message: `invalid proof for node credential ${id}` } });
    }
    // The holder of the revoked credential is still told why.
    expect(await as().post('/cluster/join', { json: joinRequest(revoked.json.settings!.cluster_node_credential!).body })).toMatchObject({ status: 403, json: { message: `node credential ${revokedId} was revoked` } });
  });

  it('once revoked are refused at the next join, and a database writer cannot lift the revocation', async () => {
    expect((await root().delete(`/cluster/credentials/${credentialId}`)).status).toBe(204);
    expect(await as().post('/cluster/join', { json: joinRequest(credentialText).body })).toMatchObject({ status: 403, json: { message: `node credential ${credentialId} was revoked` } });
    await writer.query('UPDATE cluster_credentials SET revoked_at = NULL WHERE id = $1', [credentialId]);
    expect(await as().post('/cluster/join', { json: joinRequest(credentialText).body })).toMatchObject({ status: 403, json: { message: `node credential ${credentialId} was changed outside Keygate and admits nobody` } });
    const listed = await root().get<{ data: Array<{ id: string; verified: boolean }> }>('/cluster/credentials');
    expect(listed.json.data.find((c) => c.id === credentialId)?.verified).toBe(false);
  });
});

describe('the unauthenticated endpoints', () => {
  it('charge guesses sent all at once before they are answered: concurrency does not widen the burst', async () => {
    const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => enroll(`kge1_concurrent${i}`).then((res) => res.status)));
    expect(statuses.filter((s) => s !== 429).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s !== 429 && s !== 401)).toEqual([]);
  });

  it('are rate limited per client: refused attempts only (429 after a burst of guesses)', async () => {
    const statuses: number[] = [];
    const started = Date.now();
    for (let i = 0; i < 40; i++) statuses.push((await enroll(`kge1_guess${i}`)).status);
    const elapsedMs = Date.now() - started;
    expect(statuses).toContain(429);
    // Refusals of earlier tests count too: at most a burst of ten are answered before the 429s.
    expect(statuses.indexOf(429)).toBeLessThanOrEqual(10);
    // After that, only what refilled meanwhile (30 a minute: one per 2 s) is answered.
    expect(statuses.slice(statuses.indexOf(429)).filter((s) => s !== 429).length).toBeLessThanOrEqual(Math.ceil(elapsedMs / 2000));
  });
});
