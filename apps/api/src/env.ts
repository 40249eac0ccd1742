import { z } from 'zod';

// The only module that reads process.env: a bad setting fails at start with a message naming it.
const envSchema = z
  .object({
    HOST: z.string().min(1).default('127.0.0.1'),
    PORT: z.coerce.number().int().min(0).max(65535).default(4000),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// connection string')
      .optional(),
    TUNEBOARD_DATA_DIR: z.string().min(1).default('./.tuneboard/data'),
    // Where run artifacts (files a run logs) are kept (default: an `artifacts` directory beside TUNEBOARD_DATA_DIR, not
    // inside it, since with the embedded database that directory is PostgreSQL's own).
    TUNEBOARD_ARTIFACT_ROOT: z.string().min(1).optional(),
    // Largest artifact file accepted, in megabytes; a larger upload is refused and nothing of it is kept.
    TUNEBOARD_MAX_ARTIFACT_MB: z.coerce.number().positive().default(1024),
    // S3-compatible storage for artifacts instead of the directory, when a bucket is named (path-style requests, SigV4).
    TUNEBOARD_ARTIFACT_S3_BUCKET: z.string().min(1).optional(),
    TUNEBOARD_ARTIFACT_S3_REGION: z.string().min(1).default('us-east-1'),
    // Default: AWS's endpoint for the region; set it for MinIO, Ceph, R2… (e.g. http://minio:9000).
    TUNEBOARD_ARTIFACT_S3_ENDPOINT: z
      .string()
      .regex(/^https?:\/\/[^/]/, 'must be an http:// or https:// URL')
      .optional(),
    // Prepended to every key, e.g. "tuneboard/".
    TUNEBOARD_ARTIFACT_S3_PREFIX: z.string().default(''),
    // Credentials (default: the usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
    TUNEBOARD_ARTIFACT_S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    TUNEBOARD_ARTIFACT_S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
    AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    TUNEBOARD_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TUNEBOARD_API_URL: z.string().url().optional(),
    TUNEBOARD_TOKEN: z.string().min(1).optional(),
    // `tuneboard import mlflow http://…`: the source server's credentials, as MLflow's own client reads them.
    MLFLOW_TRACKING_TOKEN: z.string().min(1).optional(),
    MLFLOW_TRACKING_USERNAME: z.string().min(1).optional(),
    MLFLOW_TRACKING_PASSWORD: z.string().optional(),
    // Trainer workers `tuneboard start` runs beside the API (0: none; run `tuneboard worker` elsewhere).
    TUNEBOARD_WORKERS: z.coerce.number().int().min(0).max(16).default(1),
    // Teams a `tuneboard worker` trains for, as comma-separated ids (default: its user's teams when it starts).
    TUNEBOARD_WORKER_TEAMS: z
      .string()
      .optional()
      .transform((value) =>
        value
          ?.split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
      ),
    // How long a worker's claim on a run lasts without a heartbeat before the run goes to another worker.
    TUNEBOARD_LEASE_SECONDS: z.coerce.number().min(1).max(3600).default(30),
    // How long a run your own script reports (SDK, EXTERNAL) may stay RUNNING with no heartbeat or metric batch
    // before it is marked lost (the SDK heart-beats every 30 s; a lost run that reports again is running again).
    TUNEBOARD_EXTERNAL_RUN_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(604_800).default(300),
    // Largest request body the API reads, in megabytes (metric batches are the big ones).
    TUNEBOARD_MAX_BODY_MB: z.coerce.number().positive().default(64),
    // Largest response the API sends, in megabytes of JSON; a larger one is answered RESPONSE_TOO_LARGE.
    TUNEBOARD_MAX_RESPONSE_MB: z.coerce.number().positive().max(500).default(128),
    // Time budget of one operation in milliseconds (0: none): a query over it is answered OPERATION_TIMEOUT, and on
    // PostgreSQL every statement is aborted past it.
    TUNEBOARD_OPERATION_TIMEOUT_MS: z.coerce.number().int().min(0).default(15_000),
    // Rate limits in requests per minute (0: off); past one the API answers 429 with Retry-After.
    TUNEBOARD_RATE_LIMIT_PER_TOKEN: z.coerce.number().int().min(0).default(6_000),
    // Peers whose X-Forwarded-For names the client, comma-separated (default: this machine, where the dashboard's
    // proxy runs); add your reverse proxy's address.
    TUNEBOARD_TRUSTED_PROXIES: z
      .string()
      .default('127.0.0.1,::1')
      .transform((value) =>
        value
          .split(',')
          .map((address) => address.trim())
          .filter((address) => address !== ''),
      ),
    TUNEBOARD_RATE_LIMIT_PER_ADDRESS: z.coerce.number().int().min(0).default(12_000),
    // Requests with an invalid token per client address and minute; past it, token-bearing requests from that
    // address get 429 without a database lookup (tokens that authenticated lately still pass).
    TUNEBOARD_AUTH_FAILURES_PER_ADDRESS: z.coerce.number().int().min(0).default(20),
  })
  .superRefine((env, ctx) => {
    if (!env.TUNEBOARD_ARTIFACT_S3_BUCKET) return;
    if (!(env.TUNEBOARD_ARTIFACT_S3_ACCESS_KEY_ID ?? env.AWS_ACCESS_KEY_ID) || !(env.TUNEBOARD_ARTIFACT_S3_SECRET_ACCESS_KEY ?? env.AWS_SECRET_ACCESS_KEY))
      ctx.addIssue({
        code: 'custom',
        path: ['TUNEBOARD_ARTIFACT_S3_ACCESS_KEY_ID'],
        message:
          'TUNEBOARD_ARTIFACT_S3_BUCKET is set: give TUNEBOARD_ARTIFACT_S3_ACCESS_KEY_ID and TUNEBOARD_ARTIFACT_S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
      });
  });

export type Env = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid Tuneboard configuration:\n${problems}`);
  }
  return parsed.data;
}

/** The environment for a child process this one starts (a local worker): ours, with `overrides` on top. */
export function childEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
