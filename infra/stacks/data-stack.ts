/**
 * The stateful stack: the single table, the job queues, the app secret, the PII secret (the national-ID
 * hash key, kept apart so that only the stations function can read it), the user pool and the key that
 * encrypts them. Built from the same definitions the local runtime uses (shared/data/platform/table.ts,
 * shared/queues.ts). Never renamed, everything RETAIN: a redeploy or `cdk destroy` must not lose money records.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, PolicyStatement, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { projectedAttributes, TABLE } from '#shared/data/platform/table';
import { QUEUES, visibilityTimeoutSeconds, type QueueDefinition } from '#shared/queues';
import { Identity, type IdentityProps } from '../constructs/identity.ts';

export type QueueKey = keyof typeof QUEUES;

export interface JobQueue {
  definition: QueueDefinition;
  queue: Queue;
  deadLetters: Queue;
}

export interface DataStackProps extends StackProps {
  identity: IdentityProps;
}

/** What the repositories do: single items, queries, batches and transactions (built from these). */
const TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
];

/** Failed jobs wait this long in a DLQ for someone to look (the SQS maximum). */
export const DLQ_RETENTION = Duration.days(14);

export class DataStack extends Stack {
  readonly key: Key;
  readonly table: Table;
  readonly queues: Record<QueueKey, JobQueue>;
  readonly appSecret: Secret;
  readonly piiHashSecret: Secret;
  readonly alarmTopic: Topic;
  readonly identity: Identity;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);

    this.key = new Key(this, 'DataKey', {
      description: 'relief-fund: table, queues, app and PII secrets, alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted alarm topic.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: TABLE.ttlAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of TABLE.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        ...(index.projection === 'KEYS_ONLY'
          ? { projectionType: ProjectionType.KEYS_ONLY }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: projectedAttributes(index) }),
      });
    }

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'relief-fund alarms',
      masterKey: this.key,
      enforceSSL: true,
    });

    this.queues = {
      delivery: this.jobQueue('Delivery', QUEUES.delivery),
      expansion: this.jobQueue('Expansion', QUEUES.expansion),
    };

    this.appSecret = new Secret(this, 'AppSecret', {
      description: 'relief-fund master key: the list cursor signing key is derived from it',
      encryptionKey: this.key,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'masterKey',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.appSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The master key derives the list cursor signing key: rotating it invalidates every issued cursor, so it is rotated by hand (a planned change), not on a schedule.',
    });

    this.piiHashSecret = new Secret(this, 'PiiHashSecret', {
      description:
        'relief-fund national-ID hash key: keys the operator uniqueness hash of station operators; read by the stations function only',
      encryptionKey: this.key,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'piiHashKey',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.piiHashSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        "The stored operator slots are keyed hashes of national IDs under this key: a new key would let every existing operator register a second live station. Rotation is a planned migration (re-hash on the operators' next contact), not a schedule.",
    });

    this.identity = new Identity(this, 'Identity', props.identity);
    const outputs: Record<string, [string, string]> = {
      UserPoolId: [this.identity.userPool.userPoolId, 'Cognito user pool: people and their role groups'],
      PeopleClientId: [this.identity.peopleClient.userPoolClientId, 'App client for people (authorization code + PKCE)'],
      ConsoleClientId: [this.identity.consoleClient.userPoolClientId, 'App client of the fund console (authorization code + PKCE)'],
      FinanceSystemClientId: [
        this.identity.financeSystemClient.userPoolClientId,
        'Example client-credentials client (relief-fund/finance-system)',
      ],
      AuthBaseUrl: [this.identity.domain.baseUrl(), 'Cognito hosted sign-in / OAuth base URL'],
      TokenEndpoint: [this.identity.tokenEndpoint, 'OAuth 2.0 token endpoint'],
      AlarmTopicArn: [this.alarmTopic.topicArn, 'Subscribe on-call to this topic'],
    };
    for (const [id, [value, description]] of Object.entries(outputs)) new CfnOutput(this, id, { value, description });
  }

  /**
   * Item read/write on the table and its GSIs, named one by one from TABLE.indexes (`table.grant*` would
   * use `index/*`), plus the key that encrypts it.
   */
  grantTableReadWrite(grantee: IGrantable): void {
    Grant.addToPrincipal({
      grantee,
      actions: TABLE_ACTIONS,
      resourceArns: [this.table.tableArn, ...TABLE.indexes.map((index) => `${this.table.tableArn}/index/${index.name}`)],
    });
    this.key.grantEncryptDecrypt(grantee);
  }

  /** Item reads only (Scan, Query, GetItem, BatchGetItem) on the table and its GSIs, plus decryption. */
  grantTableRead(grantee: IGrantable): void {
    Grant.addToPrincipal({
      grantee,
      actions: [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:Scan',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DescribeTable',
      ],
      resourceArns: [this.table.tableArn, ...TABLE.indexes.map((index) => `${this.table.tableArn}/index/${index.name}`)],
    });
    this.key.grantDecrypt(grantee);
  }

  private jobQueue(id: string, definition: QueueDefinition): JobQueue {
    const deadLetters = new Queue(this, `${id}DeadLetters`, {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      retentionPeriod: DLQ_RETENTION,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(deadLetters).acknowledge({
      id: 'Serverless-SQSRedrivePolicy',
      reason: `This is ${definition.name}'s dead-letter queue, the end of the line: it is alarmed at depth 1 and redriven by a person.`,
    });
    const queue = new Queue(this, `${id}Queue`, {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(visibilityTimeoutSeconds(definition)),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: definition.maxReceiveCount },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new Alarm(this, `${id}DeadLettersAlarm`, {
      alarmDescription: `${definition.name}: a job failed ${definition.maxReceiveCount} times and waits in the dead-letter queue`,
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.alarmTopic));
    return { definition, queue, deadLetters };
  }
}
