import { parseCli, readyLine } from './cli';
import { startAwsEmulator } from './index';

describe('keygate-aws-emulator command line', () => {
  it('reads the documented flags', () => {
    expect(
      parseCli(['--port', '4566', '--imds-port', '1338', '--region', 'us-east-1', '--access-key-id', 'X', '--secret-access-key', 'Y', '--credential-lifetime', '900']),
    ).toMatchObject({ port: 4566, imdsPort: 1338, region: 'us-east-1', accessKeys: [{ accessKeyId: 'X', secretAccessKey: 'Y' }], credentialLifetimeSeconds: 900 });
    expect(parseCli(['--help'])).toBe('help');
  });

  it('refuses unpaired keys, unknown flags and non-numeric ports', () => {
    expect(() => parseCli(['--access-key-id', 'X'])).toThrow('give each --access-key-id its own --secret-access-key');
    expect(() => parseCli(['--bogus'])).toThrow();
    expect(() => parseCli(['--port', 'eighty'])).toThrow("--port must be a whole number, not 'eighty'");
  });

  it('prints one JSON line with the bound ports, echoing a secret key only when it generated it', async () => {
    const emulator = await startAwsEmulator();
    try {
      const line = JSON.parse(readyLine(emulator, true)) as Record<string, unknown>;
      expect(line).toMatchObject({ url: emulator.url, port: emulator.port, imdsUrl: emulator.imdsUrl, imdsPort: emulator.imdsPort, region: 'us-east-1' });
      expect(line['secretAccessKey']).toBe(emulator.accessKeys[0]!.secretAccessKey);
      expect(JSON.parse(readyLine(emulator, false))).not.toHaveProperty('secretAccessKey');
    } finally {
      await emulator.stop();
    }
  });
});
