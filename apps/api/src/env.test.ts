import { describe, expect, it } from 'vitest';
import { readEnv } from './env';

describe('artifact settings', () => {
  it('defaults to the directory store with a 1 GB limit', () => {
    const env = readEnv({});
    expect(env.TUNEBOARD_ARTIFACT_ROOT).toBeUndefined();
    expect(env.TUNEBOARD_MAX_ARTIFACT_MB).toBe(1024);
    expect(env.TUNEBOARD_ARTIFACT_S3_BUCKET).toBeUndefined();
  });

  it('refuses a bad limit and an S3 bucket without credentials, naming the setting', () => {
    expect(() => readEnv({ TUNEBOARD_MAX_ARTIFACT_MB: '0' })).toThrow('TUNEBOARD_MAX_ARTIFACT_MB');
    expect(() => readEnv({ TUNEBOARD_ARTIFACT_S3_BUCKET: 'runs' })).toThrow(
      'give TUNEBOARD_ARTIFACT_S3_ACCESS_KEY_ID and TUNEBOARD_ARTIFACT_S3_SECRET_ACCESS_KEY',
    );
    expect(() => readEnv({ TUNEBOARD_ARTIFACT_S3_BUCKET: 'runs', TUNEBOARD_ARTIFACT_S3_ENDPOINT: 'minio:9000' })).toThrow('TUNEBOARD_ARTIFACT_S3_ENDPOINT');
  });

  it('takes S3 credentials from its own settings or the usual AWS ones', () => {
    expect(readEnv({ TUNEBOARD_ARTIFACT_S3_BUCKET: 'runs', AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' }).TUNEBOARD_ARTIFACT_S3_REGION).toBe(
      'us-east-1',
    );
    expect(() =>
      readEnv({ TUNEBOARD_ARTIFACT_S3_BUCKET: 'runs', TUNEBOARD_ARTIFACT_S3_ACCESS_KEY_ID: 'a', TUNEBOARD_ARTIFACT_S3_SECRET_ACCESS_KEY: 'b' }),
    ).not.toThrow();
  });
});
