/**
 * The environment handlers see locally: the same variable names the CDK stacks set on the deployed
 * functions, pointed at the local services. Shared by the runtime and the test support so a test
 * process configures handlers exactly as `npm start` does.
 */
import type { QueueUrls } from './resources.ts';
import { LOCAL_MACHINE_CLIENT_ID, type SecretsFiles } from './keys.ts';

/** DynamoDB Local and fauxqs accept any credentials; static ones keep the SDK from looking for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export const LOCAL_ACCOUNT_ID = '000000000000';

export function localRegion(): string {
  return process.env.AWS_REGION || 'us-east-1';
}

export interface HandlerEnvironmentInput {
  tableName: string;
  queueUrls: QueueUrls;
  /**
   * The app secret's and the national-ID hash key's files. Deployed, only the stations function gets
   * PII_SECRETS_ARN; here one process serves every function, so all of them see both.
   */
  secretsFiles: SecretsFiles;
  dynamoEndpoint: string;
  sqsEndpoint: string;
  sweepSeconds: number;
}

export function handlerEnvironment(input: HandlerEnvironmentInput): Record<string, string> {
  return {
    TABLE_NAME: input.tableName,
    DELIVERY_QUEUE_URL: input.queueUrls.delivery,
    EXPANSION_QUEUE_URL: input.queueUrls.expansion,
    APP_SECRETS_FILE: input.secretsFiles.app,
    PII_SECRETS_FILE: input.secretsFiles.pii,
    AWS_ENDPOINT_URL_DYNAMODB: input.dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: input.sqsEndpoint,
    AWS_REGION: localRegion(),
    AWS_DEFAULT_REGION: localRegion(),
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    ALLOW_INSECURE_WEBHOOKS: 'true',
    // The seed writes its history at past times through the API (shared/http/local-clock.ts); never deployed.
    LOCAL_CLOCK: 'header',
    MACHINE_CLIENT_IDS: LOCAL_MACHINE_CLIENT_ID,
    OUTBOX_SWEEP_SECONDS: String(input.sweepSeconds),
    POWERTOOLS_SERVICE_NAME: 'relief-fund',
    // No X-Ray daemon here (the Tracer also switches itself off outside Lambda); metrics still print as EMF.
    POWERTOOLS_TRACE_ENABLED: 'false',
  };
}

/** Variables that would make the SDK reach for real AWS credentials instead of the static ones. */
const CREDENTIAL_OVERRIDES = ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_WEB_IDENTITY_TOKEN_FILE'];

/**
 * Applies variables to process.env and returns a function that puts the previous values back
 * (the in-process runtime of a test must not leak its settings into the next one).
 */
export function applyEnvironment(vars: Record<string, string>): () => void {
  const previous = new Map<string, string | undefined>();
  const remember = (name: string) => {
    if (!previous.has(name)) previous.set(name, process.env[name]);
  };
  for (const name of CREDENTIAL_OVERRIDES) {
    remember(name);
    delete process.env[name];
  }
  for (const [name, value] of Object.entries(vars)) {
    remember(name);
    process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
