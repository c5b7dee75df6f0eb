/**
 * Our Lambda function: a NodejsFunction with the fund's defaults (newest Node runtime, ARM64, bundled
 * ESM with source maps, JSON logs into its own log group with retention, X-Ray, an explicit role that
 * starts with nothing but its own log group).
 */
import path from 'node:path';
import { Duration, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Tracing, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { bundling, NODE_RUNTIME, PROJECT_ROOT } from './bundling.ts';

export type FunctionKind = 'http' | 'queue' | 'schedule';

export interface ReliefFundFunctionProps extends Pick<
  FunctionProps,
  'reservedConcurrentExecutions' | 'deadLetterQueue' | 'recursiveLoop' | 'description'
> {
  kind: FunctionKind;
  /** The file name under functions/<kind>/, without `.ts`. */
  name: string;
  timeout: Duration;
  environment: Record<string, string>;
  /**
   * Files the package carries beside index.mjs, by name: absolute source paths, copied after esbuild
   * (the public function's API reference bundle, read at run time rather than bundled into index.mjs).
   */
  files?: Record<string, string>;
}

export const SERVICE_NAME = 'relief-fund';
export const MEMORY_MB = 1024;
export const LOG_RETENTION = RetentionDays.THREE_MONTHS;

export function entryOf(kind: FunctionKind, name: string): string {
  return path.join(PROJECT_ROOT, 'functions', kind, `${name}.ts`);
}

/** `bundling` plus a copy of each file into the asset once esbuild has written it. */
function withFiles(files: Record<string, string>): typeof bundling {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return {
    ...bundling,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) =>
        Object.entries(files).map(([name, source]) => `cp ${quote(source)} ${quote(path.join(outputDir, name))}`),
    },
  };
}

export class ReliefFundFunction extends NodejsFunction {
  /** The function's own log group (metric filters read it). */
  readonly logGroupOfFunction: LogGroup;

  constructor(scope: Construct, id: string, props: ReliefFundFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: LOG_RETENTION });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    const role = new Role(scope, `${id}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: entryOf(props.kind, props.name),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: NODE_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: MEMORY_MB,
      timeout: props.timeout,
      description: props.description,
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      deadLetterQueue: props.deadLetterQueue,
      recursiveLoop: props.recursiveLoop,
      bundling: props.files ? withFiles(props.files) : bundling,
      environment: {
        ...props.environment,
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      },
    });

    this.logGroupOfFunction = logGroup;
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    });
  }
}
