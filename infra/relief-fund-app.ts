/**
 * Builds the relief-fund CDK app: the stateful data stack, the API stack, and cdk-nag (AwsSolutions and
 * Serverless packs) as validation plugins, so any unacknowledged error fails the synth. infra/app.ts
 * runs it for the CLI; test/infra builds the same app.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ApiStack } from './stacks/api-stack.ts';
import { ConsoleStack } from './stacks/console-stack.ts';
import { DataStack } from './stacks/data-stack.ts';

export interface ReliefFundApp {
  app: App;
  data: DataStack;
  api: ApiStack;
  console: ConsoleStack;
}

/** Context values (cdk.json, or `-c key=value`) and their defaults. */
function context(app: App) {
  const read = <T>(key: string, fallback: T): T => (app.node.tryGetContext(key) as T | undefined) ?? fallback;
  const list = (key: string, fallback: string[]): string[] => {
    const value = read<string[] | string>(key, fallback);
    return typeof value === 'string'
      ? value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : value;
  };
  return {
    outboxSweepSeconds: Number(read('outboxSweepSeconds', 60)),
    rateLimit: Number(read('apiRateLimit', 100)),
    burstLimit: Number(read('apiBurstLimit', 200)),
    authDomainPrefix: read<string | undefined>('authDomainPrefix', undefined),
    callbackUrls: list('authCallbackUrls', ['http://localhost:3000/callback']),
    logoutUrls: list('authLogoutUrls', ['http://localhost:3000/']),
    extraClientIds: list('extraClientIds', []),
    consoleUrls: list('consoleUrls', ['http://localhost:3000', 'http://127.0.0.1:3000']),
  };
}

export function buildReliefFundApp(app: App = new App()): ReliefFundApp {
  const ctx = context(app);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

  const data = new DataStack(app, 'ReliefFundData', {
    env,
    description: 'relief-fund stateful resources: table, queues, app secret, user pool (retained)',
    terminationProtection: true,
    identity: {
      // The prefix must be unique in the region; the account id keeps the default unique per account.
      domainPrefix: ctx.authDomainPrefix ?? `relief-fund-${env.account ?? 'dev'}`,
      callbackUrls: ctx.callbackUrls,
      logoutUrls: ctx.logoutUrls,
      consoleUrls: ctx.consoleUrls,
    },
  });
  const api = new ApiStack(app, 'ReliefFundApi', {
    env,
    description: 'relief-fund API, workers and schedules (stateless)',
    data,
    outboxSweepSeconds: ctx.outboxSweepSeconds,
    throttle: { rateLimit: ctx.rateLimit, burstLimit: ctx.burstLimit },
    extraClientIds: ctx.extraClientIds,
  });

  const console = new ConsoleStack(app, 'ReliefFundConsole', {
    env,
    description: 'relief-fund console: S3 + CloudFront (origin access control, strict CSP), the API at /v1/*',
    data,
    api,
  });

  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return { app, data, api, console };
}
