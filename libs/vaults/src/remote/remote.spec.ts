import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ClusterAdmission, createMembership, Secret, type Membership } from '@keygate/crypto';
import { memoryLogger } from '@keygate/logging';
import { VaultError } from '../errors';
import { changePayloads } from '../events';
import { memberSigner, signRequest, verifyRequest, type RequestSigner } from './auth';
import { VaultResolverClient } from '../client/client';
import { resolverApi } from '../service/server';

const SECRET = new Secret('cluster-secret');
const ADMISSION = ClusterAdmission.fromSecret(SECRET);
let member: Membership;
let signer: RequestSigner;
let outsider: RequestSigner;

beforeAll(async () => {
  member = await createMembership(randomUUID(), 'proxy', SECRET, 1024);
  signer = memberSigner(member)!;
  outsider = memberSigner(await createMembership(randomUUID(), 'proxy', new Secret('other'), 1024))!;
});

describe('request signing', () => {
  const request = { method: 'POST', path: '/v1/resolve', body: '{"references":[]}', now: 1_000_000 };
  it('verifies what it signed and refuses changes to any part, other clusters, forged claims and old requests', () => {
    const headers = signRequest(signer, request);
    expect(JSON.stringify(headers)).not.toContain('cluster-secret');
    expect(verifyRequest(ADMISSION, { ...request, headers })).toEqual({ ok: true, nodeId: member.identity.nodeId, app: 'proxy' });
    // A node that holds only the admission key's public half checks requests the same way.
    expect(verifyRequest(ClusterAdmission.fromPublicKey(ADMISSION.publicKey)!, { ...request, headers }).ok).toBe(true);
    expect(verifyRequest(ADMISSION, { ...request, body: '{"references":["x"]}', headers }).ok).toBe(false);
    expect(verifyRequest(ADMISSION, { ...request, path: '/v1/other', headers }).ok).toBe(false);
    expect(verifyRequest(ClusterAdmission.fromSecret(new Secret('other')), { ...request, headers }).ok).toBe(false);
    expect(verifyRequest(ADMISSION, { ...request, headers: signRequest(outsider, request) })).toMatchObject({ ok: false, reason: expect.stringContaining('not an admitted member') });
    expect(verifyRequest(ADMISSION, { ...request, headers, now: request.now + 61_000 })).toEqual({ ok: false, reason: 'request time outside the allowed window' });
    expect(verifyRequest(ADMISSION, { ...request, headers: {} }).ok).toBe(false);
    // Someone else's admitted claim with the attacker's own signing key: the proof names the key.
    const stolen = { ...headers, 'x-keygate-member': Buffer.from(JSON.stringify({ ...signer.claim, sig_key: outsider.claim.sig_key })).toString('base64url') };
    expect(verifyRequest(ADMISSION, { ...request, headers: { ...stolen, authorization: signRequest(outsider, request).authorization } }).ok).toBe(false);
    // The node id is the claim's: another one breaks the proof.
    const renamed = { ...headers, 'x-keygate-member': Buffer.from(JSON.stringify({ ...signer.claim, node_id: randomUUID() })).toString('base64url') };
    expect(verifyRequest(ADMISSION, { ...request, headers: renamed })).toMatchObject({ ok: false, reason: expect.stringContaining('not an admitted member') });
    expect(verifyRequest(ADMISSION, { ...request, headers: { ...headers, 'x-keygate-member': Buffer.from('{"node_id":1}').toString('base64url') } })).toEqual({ ok: false, reason: 'malformed member claim' });
    expect(verifyRequest(ADMISSION, { ...request, headers: { ...headers, 'x-keygate-member': 'x'.repeat(2000) } }).ok).toBe(false);
  });
});

describe('VaultResolverClient against resolverApi', () => {
  let server: Server;
  let url: string;
  let requests: string[][];
  let down = false;
  let now = 5_000_000;
  const values: Record<string, string> = { '{vault://env/a}': 'A', '{vault://env/b}': 'B' };

  beforeAll(async () => {
    const api = resolverApi({
      admission: ADMISSION,
      logger: memoryLogger().logger,
      resolve: async (reference) => {
        const value = values[reference];
        if (value === undefined) throw new VaultError('VAULT_SECRET_NOT_FOUND', `no secret for ${reference}`);
        return { value: new Secret(value), stale: false, expiresAt: now + 1000, ttlMs: 1000 };
      },
    });
    server = createServer((req, res) => {
      if (down) return void req.socket.destroy();
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => requests.push((JSON.parse(body) as { references: string[] }).references));
      api(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    requests = [];
    down = false;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new VaultResolverClient({ url, signer, logger: memoryLogger().logger, now: () => now });

  it('sends the references asked for in one tick in one request, each once, and keeps them until they expire', async () => {
    const c = client();
    const [a1, a2, b] = await Promise.all([c.resolve('{vault://env/a}'), c.resolve('{vault://env/a}'), c.resolve('{vault://env/b}')]);
    expect([a1.reveal(), a2.reveal(), b.reveal()]).toEqual(['A', 'A', 'B']);
    expect(requests).toEqual([['{vault://env/a}', '{vault://env/b}']]);
    await c.resolve('{vault://env/a}');
    expect(requests).toHaveLength(1);
    now += 1000;
    await c.resolve('{vault://env/a}');
    expect(requests).toHaveLength(2);
    await expect(c.resolve('{vault://env/none}')).rejects.toMatchObject({ code: 'VAULT_SECRET_NOT_FOUND', message: 'no secret for {vault://env/none}' });
  });

  it('keeps serving what it holds while the resolver is unreachable, and says so otherwise', async () => {
    const c = client();
    await c.resolve('{vault://env/b}');
    now += 5000;
    down = true;
    expect((await c.resolve('{vault://env/b}')).reveal()).toBe('B');
    await expect(c.resolve('{vault://env/a}')).rejects.toMatchObject({ code: 'VAULT_RESOLVER_UNAVAILABLE' });
    await expect(new VaultResolverClient({ url, signer: undefined, logger: memoryLogger().logger }).resolve('{vault://env/a}')).rejects.toThrow('this node is not admitted to the cluster');
  });
});

describe('GET /v1/health', () => {
  it('answers only signed requests, with what health() reports', async () => {
    const report = { generated_at: 1, references: [] };
    const server = createServer(resolverApi({ admission: ADMISSION, logger: memoryLogger().logger, resolve: () => Promise.reject(new Error('unused')), health: () => report }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${url}/v1/health`)).status).toBe(401);
      expect((await fetch(`${url}/v1/health`, { method: 'POST' })).status).toBe(405);
      expect(await new VaultResolverClient({ url, signer, logger: memoryLogger().logger }).health()).toEqual(report);
      await expect(new VaultResolverClient({ url, signer: outsider, logger: memoryLogger().logger }).health()).rejects.toThrow('answered 401');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('change payloads', () => {
  it('split under the NOTIFY limit; a reference too long for one becomes "all"', () => {
    const refs = Array.from({ length: 300 }, (_, i) => `{vault://aws/secret-number-${i}/key}`);
    const payloads = changePayloads(refs);
    expect(payloads.length).toBeGreaterThan(1);
    expect(payloads.flatMap((p) => ('references' in p ? p.references : []))).toEqual(refs);
    for (const p of payloads) expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThan(7900);
    expect(changePayloads([`{vault://env/${'x'.repeat(8000)}}`])).toEqual([{ all: true }]);
  });
});
