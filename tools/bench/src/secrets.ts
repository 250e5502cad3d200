import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { awsEnvironment } from '@keygate/config';
import { createMembership, Secret } from '@keygate/crypto';
import { envVault } from '@keygate/entities';
import { silentLogger } from '@keygate/logging';
import { SecretResolver, type VaultBackend } from '@keygate/vaults';
import { memberSigner, VaultResolverClient } from '@keygate/vaults/client';
import { resolverApi } from '@keygate/vaults/service';
import { measure, report, machine, runBench } from './measure';

/** A backend that answers after `latencyMs` and counts its calls (a stand-in for AWS or Vault). */
function countingBackend(latencyMs: number): { backend: VaultBackend; calls: () => number; set: (value: string) => void } {
  let calls = 0;
  let value = JSON.stringify({ pg_user: 'kong', pg_password: 'v1' });
  const backend: VaultBackend = {
    schema: { ...envVault, name: 'bench' },
    connect: () => ({
      read: async () => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, latencyMs));
        return value;
      },
    }),
  };
  return { backend, calls: () => calls, set: (next) => (value = next) };
}

function resolver(backend: VaultBackend, now?: () => number): SecretResolver {
  return new SecretResolver({
    backends: new Map([['bench', backend]]),
    vaultOptions: {},
    context: { env: {}, aws: awsEnvironment({}), logger: silentLogger(), timeoutMs: 5000 },
    ...(now ? { now } : {}),
  });
}

/**
 * `npm run bench:secrets`: cached resolution next to a plain Map lookup (same run); backend calls
 * when 1,000 concurrent lookups hit one expired reference (goal 1); backend calls per rotation
 * with 10 nodes behind the vault-resolver (goal 1; Kong: one per node).
 */
async function main(): Promise<void> {
  process.stdout.write(`machine: ${machine()}\n`);

  // 1. Cached resolution.
  const cached = countingBackend(0);
  const local = resolver(cached.backend);
  const whole = '{vault://bench/db/}';
  const keyed = '{vault://bench/db/pg_password}';
  await local.resolve(whole);
  await local.resolve(keyed);
  const map = new Map([[keyed, new Secret('v1')]]);
  const baseline = await measure('Map.get (baseline)', () => map.get(keyed));
  const resolveWhole = await measure('resolver.resolve, cached, whole value', () => local.resolve(whole));
  const resolveKey = await measure('resolver.resolve, cached, JSON key', () => local.resolve(keyed));
  report('Cached resolution (in-process)', [baseline, { ...resolveWhole, baseline }, { ...resolveKey, baseline }]);

  // 2. 1,000 concurrent lookups of one expired reference.
  let now = Date.now();
  const slow = countingBackend(20);
  const expiring = resolver(slow.backend, () => now);
  const ttlRef = '{vault://bench/db/pg_password?ttl=5}';
  await expiring.resolve(ttlRef);
  now += 6_000;
  const before = slow.calls();
  await Promise.all(Array.from({ length: 1000 }, () => expiring.resolve(ttlRef)));
  process.stdout.write(`\nSingleflight\n  backend calls for 1,000 concurrent lookups of one expired reference: ${slow.calls() - before} (goal: 1)\n`);

  // 3. Rotation with 10 nodes: through one vault-resolver, and (Kong's way) each node on its own.
  const shared = countingBackend(5);
  const central = resolver(shared.backend);
  const clusterSecret = new Secret('bench-cluster-secret');
  const members = await Promise.all(Array.from({ length: 10 }, (_, i) => createMembership(randomUUID(), `node-${i}`, clusterSecret, 1024)));
  const server = createServer(resolverApi({ resolve: (r) => central.resolve(r), admission: members[0]!.admission, logger: silentLogger() }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const rotating = '{vault://bench/db/pg_password?ttl=1}';
  const nodes = members.map((member) => new VaultResolverClient({ url, signer: memberSigner(member), logger: silentLogger() }));
  const kong = countingBackend(5);
  const kongNodes = Array.from({ length: 10 }, () => resolver(kong.backend));
  const rounds = 3;
  const perRotation: number[] = [];
  const kongPerRotation: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const [sharedBefore, kongBefore] = [shared.calls(), kong.calls()];
    await Promise.all([...nodes.map((n) => n.resolve(rotating)), ...kongNodes.map((r) => r.resolve(rotating))]);
    if (round > 0) {
      perRotation.push(shared.calls() - sharedBefore);
      kongPerRotation.push(kong.calls() - kongBefore);
    }
    shared.set(JSON.stringify({ pg_password: `v${round + 2}` }));
    kong.set(JSON.stringify({ pg_password: `v${round + 2}` }));
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  }
  const first = await nodes[0]!.resolve(rotating);
  server.close();
  process.stdout.write(
    `\nRotation, 10 nodes, ttl=1 (${rounds} rotations)\n` +
      `  backend calls per rotation through the vault-resolver: ${perRotation.join(', ')} (goal: 1)\n` +
      `  backend calls per rotation with a cache per node (Kong): ${kongPerRotation.join(', ')} (Kong: 10)\n` +
      `  nodes see the rotated value: ${first.reveal() === `v${rounds + 2}` ? 'yes' : 'no'}\n`,
  );
}

runBench(main);
