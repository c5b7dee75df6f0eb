/**
 * The stateless stack: the HTTP API with its JWT authorizer and routes, one function per bounded
 * context, the queue consumers, the outbox sweeper on a schedule, and their alarms. Every function gets
 * only the grants its job needs: the app secret for the API contexts that sign cursors, the PII secret
 * (national-ID hash key) for the stations function alone.
 */
import { CfnOutput, Duration, Stack, TimeZone, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, HttpApi, LogGroupLogDestination, type HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Alarm, ComparisonOperator, Dashboard, GraphWidget, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Schedule as SchedulerSchedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { RecursiveLoop, type CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { BUNDLED_REFERENCE_FILE, referenceBundleFile } from '#shared/http/api-reference';
import { BUNDLED_FONT_FILE, reportFontFile } from '#shared/report/report-font';
import { BUSINESS_METRICS, METRICS_NAMESPACE, METRICS_SERVICE, type BusinessMetric } from '#shared/metric-names';
import { QUEUES } from '#shared/queues';
import {
  HTTP_FUNCTIONS,
  routeKey,
  routes,
  QUEUE_FUNCTIONS,
  type HttpFunctionName,
  type QueueFunctionName,
  type ScheduledFunctionName,
} from '#shared/routes';
import { LOG_RETENTION, ReliefFundFunction } from '../constructs/function.ts';
import { HttpRoutes } from '../constructs/http-routes.ts';
import { DLQ_RETENTION, type DataStack, type JobQueue } from './data-stack.ts';

type FunctionName = HttpFunctionName | QueueFunctionName | ScheduledFunctionName;

/** Functions that put webhook delivery jobs on the delivery queue (webhook-delivery re-queues delayed retries). */
const DELIVERY_PRODUCERS: ReadonlySet<FunctionName> = new Set<FunctionName>([
  'disbursements',
  'batches',
  'payouts',
  'webhook-endpoints',
  'campaigns',
  'stations',
  'notices',
  'webhook-delivery',
  'batch-expander',
  'outbox-sweeper',
  // snapshot.created
  'funds',
  'monthly-snapshots',
  // fund.alert
  'fund-alerts',
]);
/** Functions that only read the table: the ledger check, the half-year report, the public view. */
const TABLE_READERS: ReadonlySet<FunctionName> = new Set<FunctionName>(['ledger-check', 'reports', 'transparency']);
/** Functions that put "expand this approved batch" jobs on the expansion queue. */
const EXPANSION_PRODUCERS: ReadonlySet<FunctionName> = new Set<FunctionName>(['batches', 'notices', 'outbox-sweeper']);
/** Functions that hash national IDs (shared/data/stations/items.ts `applyStation`): the only readers of the PII secret. */
const NATIONAL_ID_HASHERS: ReadonlySet<HttpFunctionName> = new Set<HttpFunctionName>(['stations']);

/** API Gateway stops waiting at 30 s; the function gives up first so the caller gets our problem+json. */
export const HTTP_TIMEOUT = Duration.seconds(29);
export const SWEEPER_TIMEOUT = Duration.seconds(60);

export interface ApiStackProps extends StackProps {
  data: DataStack;
  /** How often the outbox sweeper runs; EventBridge schedules in whole minutes, so this is rounded up. */
  outboxSweepSeconds: number;
  throttle: { rateLimit: number; burstLimit: number };
  /** App clients made outside CDK (machine clients per finance system) that the authorizer must accept. */
  extraClientIds?: string[];
}

export function sweepMinutes(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new Error(`outboxSweepSeconds must be a positive whole number of seconds, got ${seconds}`);
  }
  return Math.ceil(seconds / 60);
}

export class ApiStack extends Stack {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly functions: Record<FunctionName, ReliefFundFunction>;

  private readonly data: DataStack;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    this.data = props.data;
    const { identity } = props.data;
    const minutes = sweepMinutes(props.outboxSweepSeconds);

    this.api = new HttpApi(this, 'Api', {
      description: 'relief-fund API',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: LOG_RETENTION });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTimeEpoch',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            responseLatency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            principal: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    const environment: Record<string, string> = {
      TABLE_NAME: props.data.table.tableName,
      DELIVERY_QUEUE_URL: props.data.queues.delivery.queue.queueUrl,
      EXPANSION_QUEUE_URL: props.data.queues.expansion.queue.queueUrl,
      APP_SECRETS_ARN: props.data.appSecret.secretArn,
      OUTBOX_SWEEP_SECONDS: String(minutes * 60),
      PUBLIC_BASE_URL: this.api.apiEndpoint,
      // Only these clients' scopes grant roles (client credentials); the people's client is never listed.
      MACHINE_CLIENT_IDS: [identity.financeSystemClient.userPoolClientId, ...(props.extraClientIds ?? [])].join(','),
    };

    const http = Object.fromEntries(
      HTTP_FUNCTIONS.map((name) => {
        const fn = new ReliefFundFunction(this, `http-${name}`, {
          kind: 'http',
          name,
          description: `relief-fund HTTP: ${name}`,
          timeout: HTTP_TIMEOUT,
          environment: NATIONAL_ID_HASHERS.has(name)
            ? { ...environment, PII_SECRETS_ARN: props.data.piiHashSecret.secretArn }
            : environment,
          // /docs/reference.js: the renderer's bundle (4.9 MB) beside index.mjs, not inside it.
          // The half-year report's PDF: the CJK font (10.5 MB) beside index.mjs, read only when a PDF is asked for.
          files:
            name === 'public'
              ? { [BUNDLED_REFERENCE_FILE]: referenceBundleFile() }
              : name === 'reports'
                ? { [BUNDLED_FONT_FILE]: reportFontFile() }
                : undefined,
        });
        Validations.of(fn).acknowledge({
          id: 'Serverless-LambdaDLQ',
          reason:
            'Invoked synchronously by API Gateway only; the caller gets the error, so an async dead-letter queue would never receive anything.',
        });
        return [name, fn];
      }),
    ) as Record<HttpFunctionName, ReliefFundFunction>;

    const consumers = Object.fromEntries(QUEUE_FUNCTIONS.map((name) => [name, this.consumer(name, environment)])) as Record<
      QueueFunctionName,
      ReliefFundFunction
    >;

    const sweeper = this.outboxSweeper(environment, minutes);
    const ledgerCheck = this.ledgerCheck(environment);
    const monthlySnapshots = this.monthlySnapshots(environment);
    const fundAlerts = this.fundAlerts(environment);

    this.functions = {
      ...http,
      ...consumers,
      'outbox-sweeper': sweeper,
      'ledger-check': ledgerCheck,
      'monthly-snapshots': monthlySnapshots,
      'fund-alerts': fundAlerts,
    };
    for (const [name, fn] of Object.entries(this.functions) as [FunctionName, ReliefFundFunction][]) {
      this.grantJobs(name, fn);
      this.alarmOn(`${fn.node.id}Errors`, `${name}: unhandled function errors`, fn.metricErrors({ period: Duration.minutes(5) }), 1);
      this.alarmOn(`${fn.node.id}Throttles`, `${name}: invocations throttled`, fn.metricThrottles({ period: Duration.minutes(5) }), 1);
    }
    // The cursor signing key: every API context but `public`. The national-ID hash key: stations only.
    for (const name of HTTP_FUNCTIONS) {
      if (name !== 'public') this.grantSecretRead(http[name], props.data.appSecret);
      if (NATIONAL_ID_HASHERS.has(name)) this.grantSecretRead(http[name], props.data.piiHashSecret);
    }

    const authorizer = new HttpJwtAuthorizer('CognitoJwt', identity.issuer, {
      jwtAudience: [
        identity.peopleClient.userPoolClientId,
        identity.consoleClient.userPoolClientId,
        identity.financeSystemClient.userPoolClientId,
        ...(props.extraClientIds ?? []),
      ],
    });
    const httpRoutes = new HttpRoutes(this, 'Routes', { api: this.api, functions: http, authorizer });
    // Routes without a token (the public notice board) get their own, tighter throttles. RouteSettings is a
    // JSON map to CloudFormation, so its keys are spelt as CloudFormation spells them.
    const stage = this.stage.node.defaultChild as CfnStage;
    stage.routeSettings = Object.fromEntries(
      routes
        .filter((r) => r.throttle)
        .map((r) => [routeKey(r), { ThrottlingRateLimit: r.throttle!.rateLimit, ThrottlingBurstLimit: r.throttle!.burstLimit }]),
    );
    stage.node.addDependency(httpRoutes);

    this.alarmOn('Api5xx', 'API answered 5xx', this.stage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }), 5);
    this.businessAlarms();
    this.dashboard();

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the API' });
  }

  /** A queue worker: partial batch responses, batching and concurrency as shared/queues.ts says. */
  private consumer(name: QueueFunctionName, environment: Record<string, string>): ReliefFundFunction {
    const job = Object.values(this.data.queues).find((q: JobQueue) => q.definition.consumer === name);
    if (!job) throw new Error(`no queue in shared/queues.ts is consumed by ${name}`);
    const { definition } = job;
    const fn = new ReliefFundFunction(this, `queue-${name}`, {
      kind: 'queue',
      name,
      description: `relief-fund worker: ${name} (${definition.name})`,
      timeout: Duration.seconds(definition.consumerTimeoutSeconds),
      environment,
      // webhook-delivery re-queues delayed retries onto its own queue (SQS delays cap at 15 min, the
      // retry schedule runs for hours): Lambda's loop detection would otherwise drop them after 16 hops.
      recursiveLoop: name === QUEUES.delivery.consumer ? RecursiveLoop.ALLOW : undefined,
    });
    fn.addEventSource(
      new SqsEventSource(job.queue, {
        batchSize: definition.batchSize,
        maxBatchingWindow: Duration.seconds(definition.maxBatchingWindowSeconds),
        maxConcurrency: definition.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: `Invoked by an SQS event source mapping, never asynchronously: failed jobs go to ${definition.name}'s own dead-letter queue through its redrive policy.`,
    });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaEventSourceMappingDestination',
      reason:
        'SQS event source mappings take no on-failure destination; the source queue redrives to its dead-letter queue (alarmed at depth 1).',
    });
    return fn;
  }

  /**
   * The dead-letter queue of a scheduled function: it holds only EventBridge schedule events (no fund data), so
   * SQS-managed encryption is enough and EventBridge can write to it without a key policy. The end of the line,
   * alarmed at depth 1.
   */
  private scheduleDeadLetterQueue(id: string, whose: string): Queue {
    const failures = new Queue(this, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: DLQ_RETENTION });
    Validations.of(failures).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: `This is the ${whose} dead-letter queue, the end of the line: it is alarmed at depth 1.`,
    });
    return failures;
  }

  /**
   * A scheduled function: its dead-letter queue (see scheduleDeadLetterQueue), the function (one run at a time), what
   * triggers it (`trigger`, given both), and the alarm on the dead-letter queue's depth.
   */
  private scheduledFunction(
    environment: Record<string, string>,
    spec: {
      name: ScheduledFunctionName;
      description: string;
      /** 10 minutes unless given. */
      timeout?: Duration;
      /** Names the dead-letter queue (`<id>Failures`) and its alarm (`<id>FailuresAlarm`). */
      id: string;
      /** The alarm's "<label>: a scheduled run failed for good". */
      label: string;
      /** "the <whose> dead-letter queue" in its cdk-nag acknowledgement. */
      whose: string;
      /** The alarm's period; 5 minutes unless given. */
      alarmPeriod?: Duration;
    },
    trigger: (fn: ReliefFundFunction, failures: Queue) => void,
  ): ReliefFundFunction {
    const failures = this.scheduleDeadLetterQueue(`${spec.id}Failures`, spec.whose);
    const fn = new ReliefFundFunction(this, `schedule-${spec.name}`, {
      kind: 'schedule',
      name: spec.name,
      description: spec.description,
      timeout: spec.timeout ?? Duration.minutes(10),
      environment,
      // One run at a time: overlapping runs would only race each other for the same items.
      reservedConcurrentExecutions: 1,
      deadLetterQueue: failures,
    });
    trigger(fn, failures);
    this.alarmOn(
      `${spec.id}FailuresAlarm`,
      `${spec.label}: a scheduled run failed for good`,
      failures.metricApproximateNumberOfMessagesVisible({ period: spec.alarmPeriod ?? Duration.minutes(5), statistic: 'Maximum' }),
      1,
    );
    return fn;
  }

  /**
   * An EventBridge Scheduler schedule at a China-time cron (a cron with a time zone, which EventBridge rules cannot
   * do). A run is safe to repeat, so the scheduler retries it; what still fails lands in `failures`. The scheduler has
   * its own role (not the target's shared default), so that its one finding is acknowledged here.
   */
  private chinaTimeSchedule(
    id: string,
    fn: ReliefFundFunction,
    failures: Queue,
    description: string,
    cron: { minute: string; hour: string; day?: string },
  ): void {
    const schedulerRole = new Role(this, `${id}SchedulerRole`, { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    new SchedulerSchedule(this, `${id}Schedule`, {
      description,
      schedule: ScheduleExpression.cron({ ...cron, timeZone: TimeZone.ASIA_SHANGHAI }),
      target: new LambdaInvoke(fn, { deadLetterQueue: failures, retryAttempts: 2, role: schedulerRole }),
    });
    const fnLogicalId = this.getLogicalId(fn.node.defaultChild as CfnFunction);
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason: "CDK's invoke grant names the function and its versions (`:*`); it reaches this one function only.",
    });
  }

  /** Re-queues outbox entries that were committed but never reached SQS (SQS is a delivery hint). */
  private outboxSweeper(environment: Record<string, string>, minutes: number): ReliefFundFunction {
    const spec = {
      name: 'outbox-sweeper',
      description: 'relief-fund: re-queue committed but undelivered jobs',
      timeout: SWEEPER_TIMEOUT,
      id: 'Sweeper',
      label: 'outbox sweeper',
      whose: "sweeper's",
      alarmPeriod: Duration.minutes(1),
    } as const;
    return this.scheduledFunction(environment, spec, (fn, failures) => {
      new Rule(this, 'OutboxSweepSchedule', {
        description: `Run the outbox sweeper every ${minutes} minute(s)`,
        schedule: Schedule.rate(Duration.minutes(minutes)),
        targets: [
          new LambdaFunction(fn, {
            deadLetterQueue: failures,
            retryAttempts: 2,
            // A late sweep is pointless once the next one is due.
            maxEventAge: Duration.minutes(Math.max(minutes, 1)),
          }),
        ],
      });
    });
  }

  /**
   * The daily ledger check: reads the whole table (read-only grant) and reports the LedgerDifferences
   * business metric (EMF), alarmed at 1 in `businessAlarms`.
   */
  private ledgerCheck(environment: Record<string, string>): ReliefFundFunction {
    const spec = {
      name: 'ledger-check',
      description: 'relief-fund: prove the books (reserved and paid from what holds them; the ledger replayed)',
      id: 'LedgerCheck',
      label: 'ledger check',
      whose: "ledger check's",
    } as const;
    return this.scheduledFunction(environment, spec, (fn, failures) => {
      new Rule(this, 'LedgerCheckSchedule', {
        description: 'Run the ledger check once a day',
        schedule: Schedule.rate(Duration.days(1)),
        targets: [new LambdaFunction(fn, { deadLetterQueue: failures, retryAttempts: 2 })],
      });
    });
  }

  /** The monthly snapshots, at 00:00 Asia/Shanghai on the 1st. */
  private monthlySnapshots(environment: Record<string, string>): ReliefFundFunction {
    const spec = {
      name: 'monthly-snapshots',
      description: "relief-fund: every fund's monthly snapshot, at 00:00 China time on the 1st",
      id: 'MonthlySnapshot',
      label: 'monthly snapshots',
      whose: "monthly snapshots'",
    } as const;
    return this.scheduledFunction(environment, spec, (fn, failures) =>
      this.chinaTimeSchedule('MonthlySnapshot', fn, failures, "Take every fund's monthly snapshot at 00:00 China time on the 1st", {
        minute: '0',
        hour: '0',
        day: '1',
      }),
    );
  }

  /**
   * The daily evaluation of the progress rules (`fund.alert`) at 00:30 Asia/Shanghai, after the day has turned in
   * China (the rules count whole China days). Safe to repeat: a marker per county, code and month.
   */
  private fundAlerts(environment: Record<string, string>): ReliefFundFunction {
    const spec = {
      name: 'fund-alerts',
      description: "relief-fund: every fund's progress alerts (fund.alert), daily at 00:30 China time",
      id: 'FundAlert',
      label: 'fund alerts',
      whose: "fund alerts'",
    } as const;
    return this.scheduledFunction(environment, spec, (fn, failures) =>
      this.chinaTimeSchedule('FundAlert', fn, failures, "Raise every fund's new progress alerts (fund.alert) at 00:30 China time", {
        minute: '30',
        hour: '0',
      }),
    );
  }

  private grantJobs(name: FunctionName, fn: ReliefFundFunction): void {
    const { queues } = this.data;
    if (TABLE_READERS.has(name)) {
      this.data.grantTableRead(fn);
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        reason: 'KMS action family on the single data key, part of the decrypt grant; no other key is reachable.',
      });
    } else if (name !== 'public') {
      this.data.grantTableReadWrite(fn);
      // CDK's KMS grant names action families (GenerateDataKey + GenerateDataKeyWithoutPlaintext,
      // ReEncryptFrom + ReEncryptTo); the resource is the data key alone, never `*`.
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'KMS action family on the single data key that encrypts the table and queues; no other key is reachable.',
      });
      Validations.of(fn.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]',
        reason: 'KMS action family on the single data key, part of the encrypt/decrypt grant; no other key is reachable.',
      });
    }
    if (DELIVERY_PRODUCERS.has(name)) queues.delivery.queue.grantSendMessages(fn);
    if (EXPANSION_PRODUCERS.has(name)) queues.expansion.queue.grantSendMessages(fn);
  }

  /**
   * Read access to one of the data stack's secrets, written as identity policy: `secret.grantRead` would
   * also put these roles into the data stack's key policy, and the data stack must not depend on this one.
   */
  private grantSecretRead(fn: ReliefFundFunction, secret: Secret): void {
    const { key } = this.data;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [secret.secretArn],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.region}.amazonaws.com` } },
      }),
    );
  }

  /** A business metric the functions emit as EMF (shared/metrics.ts), under the `service` dimension Powertools adds. */
  private businessMetric(name: BusinessMetric, statistic: 'Sum' | 'Maximum' | 'Average' | 'p95', period: Duration): Metric {
    return new Metric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: METRICS_SERVICE }, statistic, period });
  }

  /** What the fund's operators must hear about at once: money that did not reach the payer, books that differ, a receiver gone. */
  private businessAlarms(): void {
    const fiveMinutes = Duration.minutes(5);
    this.alarmOn(
      'PayoutDeliveryFailedAlarm',
      'payouts: a payment instruction ran out of webhook retries (payout delivery_failed)',
      this.businessMetric(BUSINESS_METRICS.payoutDeliveryFailed, 'Sum', fiveMinutes),
      1,
    );
    this.alarmOn(
      'LedgerDifferencesAlarm',
      'ledger check: the books differ from what holds the money',
      this.businessMetric(BUSINESS_METRICS.ledgerDifferences, 'Maximum', Duration.days(1)),
      1,
    );
    this.alarmOn(
      'WebhookEndpointDisabledAlarm',
      'webhooks: a receiver answered 410 Gone and its endpoint was disabled',
      this.businessMetric(BUSINESS_METRICS.webhookEndpointDisabled, 'Sum', fiveMinutes),
      1,
    );
  }

  /** One dashboard: the payouts' path, the webhook deliveries, the ledger check, and the technical signals (dead letters, 5xx). */
  private dashboard(): void {
    const hour = Duration.hours(1);
    const sum = (name: BusinessMetric) => this.businessMetric(name, 'Sum', hour);
    const deadLetters = Object.values(this.data.queues).map((q: JobQueue) =>
      q.deadLetters.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
        label: `${q.definition.name} dead letters`,
      }),
    );
    new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.days(7),
      widgets: [
        [
          new GraphWidget({
            title: 'Payouts',
            width: 12,
            left: [
              sum(BUSINESS_METRICS.disbursementApproved),
              sum(BUSINESS_METRICS.payoutQueued),
              sum(BUSINESS_METRICS.payoutSent),
              sum(BUSINESS_METRICS.payoutSettled),
              sum(BUSINESS_METRICS.payoutFailed),
              sum(BUSINESS_METRICS.payoutDeliveryFailed),
            ],
          }),
          new GraphWidget({
            title: 'Webhook deliveries',
            width: 12,
            left: [
              sum(BUSINESS_METRICS.deliveryAttempts),
              sum(BUSINESS_METRICS.deliveryAttemptsFailed),
              sum(BUSINESS_METRICS.webhookEndpointDisabled),
            ],
            right: [this.businessMetric(BUSINESS_METRICS.deliveryLatency, 'p95', hour)],
          }),
        ],
        [
          new GraphWidget({
            title: 'Ledger differences',
            width: 8,
            left: [this.businessMetric(BUSINESS_METRICS.ledgerDifferences, 'Maximum', Duration.days(1))],
          }),
          new GraphWidget({ title: 'Dead letters', width: 8, left: deadLetters }),
          new GraphWidget({
            title: 'API 5xx',
            width: 8,
            left: [this.stage.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' })],
          }),
        ],
      ],
    });
  }

  private alarmOn(id: string, description: string, metric: IMetric, threshold: number): void {
    new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.data.alarmTopic));
  }
}
