import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@keygate/testing';

const BIN = join(REPO_ROOT, 'node_modules', '.bin');

/** Lints `code` as if it were `file`, with the repository's ESLint configuration. */
function problems(file: string, code: string): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile(join(BIN, 'eslint'), ['--stdin', '--stdin-filename', join(REPO_ROOT, file), '--format', 'json'], { cwd: REPO_ROOT }, (_err, stdout) => {
      const [result] = JSON.parse(stdout) as Array<{ messages: Array<{ ruleId: string; message: string }> }>;
      resolve((result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`).join('\n'));
    });
    child.stdin!.end(code);
  });
}

/**
 * The layering (apps -> feature libs -> domain -> core libs, no feature lib importing another, no cycles, process.env only in libs/config,
 * the test harness only in tests) is enforced by lint. These probes prove the rules are live.
 */
describe('module boundaries', () => {
  const probes: Record<string, Promise<string>> = {};

  beforeAll(() => {
    // The boundary rule reads Nx's project graph; make sure it is computed (npm run lint does too).
    execFileSync(join(BIN, 'nx'), ['show', 'projects'], { cwd: REPO_ROOT, stdio: 'ignore' });
    Object.assign(probes, {
      coreToFeature: problems('libs/db/src/probe.ts', "import { KeyringService } from '@keygate/keyring';\nexport const x = KeyringService;\n"),
      coreToDomain: problems('libs/db/src/probe.ts', "import { EntityStore } from '@keygate/entities';\nexport const x = EntityStore;\n"),
      featureToFeature: problems('libs/http/src/probe.ts', "import { ProxyNode } from '@keygate/proxy';\nexport const x = ProxyNode;\n"),
      proxyToKeyring: problems('libs/proxy/src/probe.ts', "import { KeyringFieldProtector } from '@keygate/keyring';\nexport const x = KeyringFieldProtector;\n"),
      domainToFeature: problems('libs/entities/src/probe.ts', "import { KeyringService } from '@keygate/keyring';\nexport const x = KeyringService;\n"),
      featureToDomain: problems('libs/proxy/src/probe.ts', "import type { KeySource } from '@keygate/entities';\nexport type X = KeySource;\n"),
      cycle: problems('libs/config/src/probe.ts', "import { Database } from '@keygate/db';\nexport const x = Database;\n"),
      featureToApp: problems('libs/entities/src/probe.ts', "import { main } from '@keygate/app-admin';\nexport const x = main;\n"),
      env: problems('libs/db/src/probe.ts', 'export const x = process.env.HOME;\n'),
      harness: problems('apps/admin/src/probe.ts', "import { REPO_ROOT } from '@keygate/testing';\nexport const x = REPO_ROOT;\n"),
      allowed: problems('apps/admin/src/probe.ts', "import { EntityStore } from '@keygate/entities';\nexport const x = EntityStore;\n"),
    });
  }, 60_000);

  it('rejects a core lib importing a feature lib', async () => {
    expect(await probes.coreToFeature).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects a core lib importing the domain (libs/entities)', async () => {
    expect(await probes.coreToDomain).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects a feature lib importing another feature lib (ports in the domain instead)', async () => {
    expect(await probes.featureToFeature).toContain('@nx/enforce-module-boundaries');
    expect(await probes.proxyToKeyring).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects the domain importing a feature lib', async () => {
    expect(await probes.domainToFeature).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects an import cycle', async () => {
    expect(await probes.cycle).toContain('Circular dependency between "config" and "db"');
  });

  it('rejects a feature lib importing an app', async () => {
    expect(await probes.featureToApp).toContain('@nx/enforce-module-boundaries');
  });

  it('rejects process.env outside libs/config, and the test harness outside tests', async () => {
    expect(await probes.env).toContain('only libs/config/src/env.ts reads process.env');
    expect(await probes.harness).toContain('@keygate/testing is for tests only');
  });

  it('accepts the allowed direction', async () => {
    expect(await probes.allowed).toBe('');
    expect(await probes.featureToDomain).toBe('');
  });
});
