import { Secret } from '@keygate/crypto';
import { awsEnvironment } from './aws';
import { loadConfig } from './load';

describe('awsEnvironment', () => {
  it('captures the standard AWS variables, secrets wrapped, empty ones unset', () => {
    const aws = awsEnvironment({
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret-value',
      AWS_SESSION_TOKEN: '',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'agent-token',
      AWS_EC2_METADATA_DISABLED: 'TRUE',
    });
    expect(aws.accessKeyId).toBe('AKIAEXAMPLE');
    expect(aws.secretAccessKey).toBeInstanceOf(Secret);
    expect(aws.secretAccessKey?.reveal()).toBe('secret-value');
    expect(aws.sessionToken).toBeUndefined();
    expect(aws.region).toBe('eu-west-1');
    expect(aws.ec2MetadataDisabled).toBe(true);
    expect(JSON.stringify(aws)).not.toMatch(/secret-value|agent-token/);
  });

  it('prefers AWS_REGION over AWS_DEFAULT_REGION and is part of the loaded config', async () => {
    expect(awsEnvironment({ AWS_REGION: 'us-east-2', AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('us-east-2');
    const { config } = await loadConfig({ env: { AWS_REGION: 'ap-south-1' }, defaultPaths: [] });
    expect(config.aws.region).toBe('ap-south-1');
  });
});
