/**
 * What the deployed system relies on and cdk-nag does not check: the table matches shared/data/platform/table.ts,
 * the queues match shared/queues.ts, every route of shared/routes.ts is wired with the right
 * authorization, and each function gets only the grants its job needs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { LIST_INDEX_ATTRIBUTES, projectedAttributes, TABLE } from '#shared/data/platform/table';
import { ROLES } from '#shared/domain/roles';
import { QUEUES, visibilityTimeoutSeconds } from '#shared/queues';
import { HTTP_FUNCTIONS, QUEUE_FUNCTIONS, routeKey, routes, SCHEDULED_FUNCTIONS } from '#shared/routes';
import { sweepMinutes } from '#infra/stacks/api-stack';
import { BUSINESS_METRICS, METRICS_NAMESPACE, METRICS_SERVICE } from '#shared/metric-names';
import { logicalIdOf, refersTo, resourcesOf, synthesize, type Synthesized } from './synth.ts';

let s: Synthesized;

beforeAll(() => {
  s = synthesize();
});

/** The newest `nodejsNN.x` aws-cdk-lib knows, found the way cdk-nag's L1 rule finds it. */
function newestNodeRuntime(): string {
  const versions = Runtime.ALL.map((r) => r.name)
    .map((name) => /^nodejs(\d+)\.x$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]));
  return versions.at(-1)![0];
}

function policyStatementsOf(roleLogicalId: string): Array<{ Action: string | string[]; Resource: unknown }> {
  return Object.values(resourcesOf(s.apiTemplate, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(`"${roleLogicalId}"`))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** Can this function do `action` on the resource with this logical id (in the data stack)? */
function canDo(fn: keyof Synthesized['api']['functions'], action: string, targetLogicalId: string): boolean {
  const role = s.api.functions[fn].role!;
  return policyStatementsOf(logicalIdOf(role)).some((st) => {
    const actions = Array.isArray(st.Action) ? st.Action : [st.Action];
    return actions.includes(action) && refersTo(st.Resource, targetLogicalId, s.dataTemplate);
  });
}

function anyActionOn(fn: keyof Synthesized['api']['functions'], prefix: string): boolean {
  return policyStatementsOf(logicalIdOf(s.api.functions[fn].role!)).some((st) =>
    (Array.isArray(st.Action) ? st.Action : [st.Action]).some((a) => a.startsWith(prefix)),
  );
}

describe('data stack: the single table', () => {
  it('is built from shared/data/platform/table.ts, with PITR, deletion protection, a rotating customer key and TTL', () => {
    const tables = Object.values(resourcesOf(s.dataTemplate, 'AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(1);
    const table = tables[0]!;
    const p = table.Properties;

    expect(table.DeletionPolicy).toBe('Retain');
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.DeletionProtectionEnabled).toBe(true);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: TABLE.ttlAttribute, Enabled: true });
    expect(p.KeySchema).toEqual([
      { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
    ]);
    for (const attribute of p.AttributeDefinitions) expect(attribute.AttributeType).toBe('S');

    expect(p.SSESpecification.SSEEnabled).toBe(true);
    expect(p.SSESpecification.SSEType).toBe('KMS');
    const keyId = logicalIdOf(s.data.key);
    expect(p.SSESpecification.KMSMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(s.dataTemplate.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
  });

  it('has exactly the GSIs of TABLE.indexes, each with its projection (the outbox index keys only)', () => {
    const [table] = Object.values(resourcesOf(s.dataTemplate, 'AWS::DynamoDB::Table'));
    const indexes = table!.Properties.GlobalSecondaryIndexes as Array<Record<string, any>>;
    expect(indexes.map((i) => i.IndexName).sort()).toEqual(TABLE.indexes.map((i) => i.name).sort());
    for (const index of TABLE.indexes) {
      const gsi = indexes.find((i) => i.IndexName === index.name)!;
      expect(gsi.KeySchema).toEqual([
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ]);
      expect(gsi.Projection).toEqual(
        index.projection === 'INCLUDE'
          ? { ProjectionType: 'INCLUDE', NonKeyAttributes: projectedAttributes(index) }
          : { ProjectionType: index.projection },
      );
    }
    // The settlement-time index filters its range by batch and creation time, so it carries both.
    expect(indexes.find((i) => i.IndexName === 'gsi5')!.Projection.NonKeyAttributes).toEqual([
      ...LIST_INDEX_ATTRIBUTES,
      'batchId',
      'createdAt',
    ]);
    // The list routes read whole items from gsi1..3; the outbox sweeper needs only keys.
    expect(indexes.filter((i) => i.Projection.ProjectionType === 'KEYS_ONLY').map((i) => i.IndexName)).toEqual(['gsi4']);
  });
});

describe('data stack: queues from shared/queues.ts', () => {
  const jobs = Object.keys(QUEUES) as Array<keyof typeof QUEUES>;

  it.each(jobs)('%s: KMS-encrypted, with a dead-letter queue after the defined number of receives', (key) => {
    const definition = QUEUES[key];
    const queues = s.dataTemplate.toJSON().Resources;
    const queue = queues[logicalIdOf(s.data.queues[key].queue)].Properties;
    const dlqId = logicalIdOf(s.data.queues[key].deadLetters);
    const dlq = queues[dlqId].Properties;

    expect(queue.RedrivePolicy.maxReceiveCount).toBe(definition.maxReceiveCount);
    expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(5);
    expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual({ 'Fn::GetAtt': [dlqId, 'Arn'] });
    expect(queue.VisibilityTimeout).toBe(visibilityTimeoutSeconds(definition));
    expect(dlq.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    for (const q of [queue, dlq]) expect(q.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(s.data.key), 'Arn'] });
  });

  it.each(jobs)(
    '%s: the consumer reads it in partial batches, within its concurrency, and the visibility timeout covers 6 of its runs',
    (key) => {
      const definition = QUEUES[key];
      const consumer = s.api.functions[definition.consumer];
      const consumerId = logicalIdOf(consumer);
      const mappings = Object.values(resourcesOf(s.apiTemplate, 'AWS::Lambda::EventSourceMapping')).filter((m) =>
        refersTo(m.Properties.EventSourceArn, logicalIdOf(s.data.queues[key].queue), s.dataTemplate),
      );
      expect(mappings).toHaveLength(1);
      const mapping = mappings[0]!.Properties;
      expect(mapping.FunctionName).toEqual({ Ref: consumerId });
      expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: definition.maxConcurrency });
      expect(mapping.BatchSize).toBe(definition.batchSize);
      expect(mapping.MaximumBatchingWindowInSeconds).toBe(definition.maxBatchingWindowSeconds);

      const timeout = s.apiTemplate.toJSON().Resources[consumerId].Properties.Timeout as number;
      expect(timeout).toBe(definition.consumerTimeoutSeconds);
      const queue = s.dataTemplate.toJSON().Resources[logicalIdOf(s.data.queues[key].queue)].Properties;
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    },
  );

  it('every dead-letter queue, in either stack, has an alarm at depth 1 that notifies the alarm topic', () => {
    const dataQueues = resourcesOf(s.dataTemplate, 'AWS::SQS::Queue');
    const dlqIds = new Set(
      Object.values(dataQueues)
        .map((q) => q.Properties.RedrivePolicy?.deadLetterTargetArn?.['Fn::GetAtt']?.[0])
        .filter(Boolean),
    );
    expect(dlqIds.size).toBe(Object.keys(QUEUES).length);
    const apiDlqIds = new Set(
      Object.values(resourcesOf(s.apiTemplate, 'AWS::Lambda::Function'))
        .map((f) => f.Properties.DeadLetterConfig?.TargetArn?.['Fn::GetAtt']?.[0])
        .filter(Boolean),
    );
    // The outbox sweeper's, the ledger check's, the monthly snapshots' and the fund alerts'.
    expect(apiDlqIds.size).toBe(4);

    const alarmsOn = (template: typeof s.dataTemplate, queueId: string) =>
      Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm')).filter(
        (a) =>
          a.Properties.Namespace === 'AWS/SQS' &&
          a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          JSON.stringify(a.Properties.Dimensions).includes(`"${queueId}"`),
      );
    for (const [template, ids] of [
      [s.dataTemplate, dlqIds],
      [s.apiTemplate, apiDlqIds],
    ] as const) {
      for (const id of ids) {
        const alarms = alarmsOn(template, id);
        expect(alarms, `alarm on ${id}`).toHaveLength(1);
        const alarm = alarms[0]!.Properties;
        expect(alarm.Threshold).toBe(1);
        expect(alarm.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
        expect(refersTo(alarm.AlarmActions, logicalIdOf(s.data.alarmTopic), s.dataTemplate)).toBe(true);
      }
    }
  });

  it('the alarm topic is encrypted with the data key, which lets CloudWatch publish', () => {
    const keyId = logicalIdOf(s.data.key);
    s.dataTemplate.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    const statements = s.dataTemplate.toJSON().Resources[keyId].Properties.KeyPolicy.Statement as Array<Record<string, any>>;
    expect(statements.some((st) => st.Principal?.Service === 'cloudwatch.amazonaws.com' && st.Action.includes('kms:GenerateDataKey'))).toBe(
      true,
    );
  });
});

describe('data stack: secrets and identity', () => {
  it('has two secrets: the app secret and the PII secret', () => {
    const secrets = Object.keys(resourcesOf(s.dataTemplate, 'AWS::SecretsManager::Secret'));
    expect(secrets.sort()).toEqual([logicalIdOf(s.data.appSecret), logicalIdOf(s.data.piiHashSecret)].sort());
  });

  it.each([
    ['app secret', 'masterKey', () => s.data.appSecret],
    ['PII secret', 'piiHashKey', () => s.data.piiHashSecret],
  ] as const)('the %s is generated as JSON { %s }, 64 characters, encrypted with the data key, retained', (_, field, secret) => {
    const resource = resourcesOf(s.dataTemplate, 'AWS::SecretsManager::Secret')[logicalIdOf(secret())]!;
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{}',
      GenerateStringKey: field,
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    expect(resource.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logicalIdOf(s.data.key), 'Arn'] });
  });

  it('has one group per role and a relief-fund resource server whose scopes are the roles', () => {
    const groups = Object.values(resourcesOf(s.dataTemplate, 'AWS::Cognito::UserPoolGroup')).map((g) => g.Properties.GroupName);
    expect(groups.sort()).toEqual([...ROLES].sort());
    const servers = Object.values(resourcesOf(s.dataTemplate, 'AWS::Cognito::UserPoolResourceServer'));
    expect(servers).toHaveLength(1);
    expect(servers[0]!.Properties.Identifier).toBe('relief-fund');
    expect(servers[0]!.Properties.Scopes.map((sc: { ScopeName: string }) => sc.ScopeName).sort()).toEqual([...ROLES].sort());
  });

  it('people sign in with the code flow and no secret; the machine client uses client credentials and a role scope', () => {
    const clients = s.dataTemplate.toJSON().Resources;
    const people = clients[logicalIdOf(s.data.identity.peopleClient)].Properties;
    expect(people.GenerateSecret).toBe(false);
    expect(people.AllowedOAuthFlows).toEqual(['code']);
    const machine = clients[logicalIdOf(s.data.identity.financeSystemClient)].Properties;
    expect(machine.GenerateSecret).toBe(true);
    expect(machine.AllowedOAuthFlows).toEqual(['client_credentials']);
    expect(JSON.stringify(machine.AllowedOAuthScopes)).toContain('/finance-system');
  });

  it('keeps the user pool when the stack goes away, and nobody signs themselves up', () => {
    const [pool] = Object.values(resourcesOf(s.dataTemplate, 'AWS::Cognito::UserPool'));
    expect(pool!.DeletionPolicy).toBe('Retain');
    expect(pool!.Properties.DeletionProtection).toBe('ACTIVE');
    expect(pool!.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
  });
});

describe('api stack: routes from shared/routes.ts', () => {
  it('has every route exactly once, JWT-authorized unless public, integrated with its own function', () => {
    const apiRoutes = Object.values(resourcesOf(s.apiTemplate, 'AWS::ApiGatewayV2::Route'));
    expect(apiRoutes).toHaveLength(routes.length);
    const [authorizerId] = Object.keys(resourcesOf(s.apiTemplate, 'AWS::ApiGatewayV2::Authorizer'));
    const integrations = s.apiTemplate.toJSON().Resources;

    for (const route of routes) {
      const matching = apiRoutes.filter((r) => r.Properties.RouteKey === routeKey(route));
      expect(matching, routeKey(route)).toHaveLength(1);
      const p = matching[0]!.Properties;
      if (route.roles === 'public') {
        expect(p.AuthorizationType, routeKey(route)).toBe('NONE');
        expect(p.AuthorizerId).toBeUndefined();
      } else {
        expect(p.AuthorizationType, routeKey(route)).toBe('JWT');
        expect(p.AuthorizerId).toEqual({ Ref: authorizerId });
      }
      const integrationId = JSON.stringify(p.Target).match(/"Ref":"([^"]+)"/)![1]!;
      const integration = integrations[integrationId].Properties;
      expect(integration.PayloadFormatVersion).toBe('2.0');
      expect(JSON.stringify(integration.IntegrationUri), routeKey(route)).toContain(`"${logicalIdOf(s.api.functions[route.fn])}"`);
    }
  });

  it('the JWT authorizer trusts the user pool and its three app clients (people, the console, the finance system)', () => {
    const [authorizer] = Object.values(resourcesOf(s.apiTemplate, 'AWS::ApiGatewayV2::Authorizer'));
    const p = authorizer!.Properties;
    expect(p.AuthorizerType).toBe('JWT');
    expect(refersTo(p.JwtConfiguration.Issuer, logicalIdOf(s.data.identity.userPool), s.dataTemplate)).toBe(true);
    expect(JSON.stringify(p.JwtConfiguration.Issuer)).toContain('https://cognito-idp.');
    expect(p.JwtConfiguration.Audience).toHaveLength(3);
    for (const client of [s.data.identity.peopleClient, s.data.identity.consoleClient, s.data.identity.financeSystemClient]) {
      expect(refersTo(p.JwtConfiguration.Audience, logicalIdOf(client), s.dataTemplate)).toBe(true);
    }
  });

  it('the stage throttles, and writes JSON access logs to a log group with retention', () => {
    const [stage] = Object.values(resourcesOf(s.apiTemplate, 'AWS::ApiGatewayV2::Stage'));
    const p = stage!.Properties;
    expect(p.StageName).toBe('$default');
    expect(p.DefaultRouteSettings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(p.DefaultRouteSettings.ThrottlingBurstLimit).toBeGreaterThan(0);
    const format = JSON.parse(p.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    const logGroupId = p.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(s.apiTemplate.toJSON().Resources[logGroupId].Properties.RetentionInDays).toBeGreaterThan(0);
  });
});

describe('api stack: functions', () => {
  const allFunctions = [...HTTP_FUNCTIONS, ...QUEUE_FUNCTIONS, ...SCHEDULED_FUNCTIONS];

  it('one function per HTTP context, queue consumer and schedule: newest Node runtime, arm64, JSON logs into a log group with retention', () => {
    const functions = resourcesOf(s.apiTemplate, 'AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(allFunctions.length);
    const runtime = newestNodeRuntime();
    const resources = s.apiTemplate.toJSON().Resources;
    for (const [id, fn] of Object.entries(functions)) {
      const p = fn.Properties;
      expect(p.Runtime, id).toBe(runtime);
      expect(p.Architectures, id).toEqual(['arm64']);
      expect(p.MemorySize, id).toBe(1024);
      expect(p.LoggingConfig.LogFormat, id).toBe('JSON');
      const logGroup = resources[p.LoggingConfig.LogGroup.Ref];
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties.RetentionInDays, id).toBeGreaterThan(0);
      expect(p.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
      for (const name of [
        'TABLE_NAME',
        'DELIVERY_QUEUE_URL',
        'EXPANSION_QUEUE_URL',
        'APP_SECRETS_ARN',
        'OUTBOX_SWEEP_SECONDS',
        'POWERTOOLS_SERVICE_NAME',
        'POWERTOOLS_LOG_LEVEL',
      ]) {
        expect(p.Environment.Variables[name], `${id} ${name}`).toBeDefined();
      }
      // The local runtime's past clock for the seed (shared/http/local-clock.ts) is never switched on deployed.
      expect(p.Environment.Variables.LOCAL_CLOCK, id).toBeUndefined();
    }
  });

  it("lists the machine client, never the people's client, in every HTTP function's MACHINE_CLIENT_IDS", () => {
    for (const name of HTTP_FUNCTIONS) {
      const ids = resourcesOf(s.apiTemplate, 'AWS::Lambda::Function')[logicalIdOf(s.api.functions[name])]!.Properties.Environment.Variables
        .MACHINE_CLIENT_IDS;
      expect(refersTo(ids, logicalIdOf(s.data.identity.financeSystemClient), s.dataTemplate), name).toBe(true);
      expect(refersTo(ids, logicalIdOf(s.data.identity.peopleClient), s.dataTemplate), name).toBe(false);
    }
  });

  it('times out inside API Gateway for HTTP, at the queue definition for consumers, at 60 s for the sweeper', () => {
    const resources = s.apiTemplate.toJSON().Resources;
    const timeoutOf = (name: (typeof allFunctions)[number]) => resources[logicalIdOf(s.api.functions[name])].Properties.Timeout;
    for (const name of HTTP_FUNCTIONS) expect(timeoutOf(name), name).toBeLessThan(30);
    for (const q of Object.values(QUEUES)) expect(timeoutOf(q.consumer)).toBe(q.consumerTimeoutSeconds);
    expect(timeoutOf('outbox-sweeper')).toBe(60);
  });

  it('runs the outbox sweeper on a schedule with a dead-letter queue, one sweep at a time', () => {
    const sweeperId = logicalIdOf(s.api.functions['outbox-sweeper']);
    const rules = Object.values(resourcesOf(s.apiTemplate, 'AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.Targets).includes(sweeperId),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]!.Properties;
    expect(rule.ScheduleExpression).toBe(`rate(${sweepMinutes(Number(60))} minute)`);
    expect(rule.Targets).toHaveLength(1);
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [sweeperId, 'Arn'] });
    expect(rule.Targets[0].DeadLetterConfig).toBeDefined();
    expect(s.apiTemplate.toJSON().Resources[sweeperId].Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('runs the ledger check daily and alarms on one difference, on the EMF metric it reports (no metric filter)', () => {
    const checkId = logicalIdOf(s.api.functions['ledger-check']);
    const rules = Object.values(resourcesOf(s.apiTemplate, 'AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.Targets).includes(checkId),
    );
    expect(rules.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(1 day)']);
    expect(Object.values(resourcesOf(s.apiTemplate, 'AWS::Logs::MetricFilter'))).toEqual([]);
  });

  it('takes the monthly snapshots at 00:00 China time on the 1st (EventBridge Scheduler), retried, with a dead-letter queue', () => {
    const fnId = logicalIdOf(s.api.functions['monthly-snapshots']);
    const schedules = Object.values(resourcesOf(s.apiTemplate, 'AWS::Scheduler::Schedule')).filter((r) =>
      JSON.stringify(r.Properties.Target).includes(fnId),
    );
    expect(schedules).toHaveLength(1);
    const schedule = schedules[0]!.Properties;
    expect(schedule.ScheduleExpression).toBe('cron(0 0 1 * ? *)');
    expect(schedule.ScheduleExpressionTimezone).toBe('Asia/Shanghai');
    expect(schedule.Target.DeadLetterConfig).toBeDefined();
    expect(schedule.Target.RetryPolicy.MaximumRetryAttempts).toBe(2);
    expect(s.apiTemplate.toJSON().Resources[fnId].Properties.ReservedConcurrentExecutions).toBe(1);
  });

  it('alarms at 1 on each business metric that needs a person, as the functions emit it (namespace, service dimension)', () => {
    const alarms = Object.values(resourcesOf(s.apiTemplate, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    for (const name of [
      BUSINESS_METRICS.payoutDeliveryFailed,
      BUSINESS_METRICS.ledgerDifferences,
      BUSINESS_METRICS.webhookEndpointDisabled,
    ]) {
      const alarm = alarms.find((a) => a.MetricName === name);
      expect(alarm, name).toMatchObject({
        Namespace: METRICS_NAMESPACE,
        Dimensions: [{ Name: 'service', Value: METRICS_SERVICE }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
      expect(alarm!.AlarmActions).toHaveLength(1);
    }
  });

  it('has one dashboard charting every business metric, the dead-letter queues and the API 5xx', () => {
    const dashboards = Object.values(resourcesOf(s.apiTemplate, 'AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]!.Properties.DashboardBody);
    for (const name of Object.values(BUSINESS_METRICS)) expect(body, name).toContain(`\\"${name}\\"`);
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('5xx');
  });

  it('rounds the sweep interval up to whole minutes and refuses nonsense', () => {
    expect(sweepMinutes(1)).toBe(1);
    expect(sweepMinutes(60)).toBe(1);
    expect(sweepMinutes(61)).toBe(2);
    expect(sweepMinutes(300)).toBe(5);
    for (const bad of [0, -60, 1.5, Number.NaN]) expect(() => sweepMinutes(bad)).toThrow(/outboxSweepSeconds/);
  });

  it('lets webhook-delivery re-queue onto its own queue without Lambda stopping the "loop"', () => {
    const resources = s.apiTemplate.toJSON().Resources;
    expect(resources[logicalIdOf(s.api.functions['webhook-delivery'])].Properties.RecursiveLoop).toBe('Allow');
    expect(resources[logicalIdOf(s.api.functions['batches'])].Properties.RecursiveLoop).toBeUndefined();
  });

  it('has an errors and a throttles alarm per function, and an API 5xx alarm', () => {
    const alarms = Object.values(resourcesOf(s.apiTemplate, 'AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    for (const name of allFunctions) {
      const id = logicalIdOf(s.api.functions[name]);
      for (const metric of ['Errors', 'Throttles']) {
        expect(
          alarms.some((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === metric && JSON.stringify(a.Dimensions).includes(`"${id}"`)),
          `${name} ${metric}`,
        ).toBe(true);
      }
    }
    expect(alarms.some((a) => a.Namespace === 'AWS/ApiGateway' && a.MetricName === '5xx')).toBe(true);
  });
});

describe('api stack: least privilege', () => {
  const allFunctions = [...HTTP_FUNCTIONS, ...QUEUE_FUNCTIONS, ...SCHEDULED_FUNCTIONS];
  const table = () => logicalIdOf(s.data.table);
  const delivery = () => logicalIdOf(s.data.queues.delivery.queue);
  const expansion = () => logicalIdOf(s.data.queues.expansion.queue);
  const secret = () => logicalIdOf(s.data.appSecret);

  it('the public function can touch no data at all', () => {
    for (const prefix of ['dynamodb:', 'sqs:', 'secretsmanager:', 'kms:']) expect(anyActionOn('public', prefix), prefix).toBe(false);
  });

  it('every other function reads and writes the table, by named indexes rather than index/*', () => {
    for (const name of [...HTTP_FUNCTIONS.filter((f) => f !== 'public'), ...QUEUE_FUNCTIONS, ...SCHEDULED_FUNCTIONS]) {
      // The ledger check, the half-year report and the public view only read.
      expect(canDo(name, 'dynamodb:PutItem', table()), name).toBe(!['ledger-check', 'reports', 'transparency'].includes(name));
      expect(canDo(name, 'dynamodb:Query', table()), name).toBe(true);
    }
    expect(canDo('ledger-check', 'dynamodb:Scan', table())).toBe(true);
    expect(canDo('ledger-check', 'dynamodb:UpdateItem', table())).toBe(false);
    const resources = JSON.stringify(policyStatementsOf(logicalIdOf(s.api.functions.disbursements.role!)));
    expect(resources).not.toContain('/index/*');
    for (const index of TABLE.indexes) expect(resources).toContain(`/index/${index.name}`);
  });

  it('only producers may send to the delivery queue, and only batches, notices and the sweeper to the expansion queue', () => {
    const deliveryProducers = [
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
      'funds',
      'monthly-snapshots',
      'fund-alerts',
    ];
    for (const name of [...HTTP_FUNCTIONS, ...QUEUE_FUNCTIONS, ...SCHEDULED_FUNCTIONS]) {
      expect(canDo(name, 'sqs:SendMessage', delivery()), `${name} → delivery`).toBe(deliveryProducers.includes(name));
      expect(canDo(name, 'sqs:SendMessage', expansion()), `${name} → expansion`).toBe(
        ['batches', 'notices', 'outbox-sweeper'].includes(name),
      );
    }
  });

  it('consumers may receive only from their own queue', () => {
    expect(canDo('webhook-delivery', 'sqs:ReceiveMessage', delivery())).toBe(true);
    expect(canDo('webhook-delivery', 'sqs:ReceiveMessage', expansion())).toBe(false);
    expect(canDo('batch-expander', 'sqs:ReceiveMessage', expansion())).toBe(true);
    expect(canDo('batch-expander', 'sqs:ReceiveMessage', delivery())).toBe(false);
    expect(canDo('batches', 'sqs:ReceiveMessage', expansion())).toBe(false);
  });

  it('the app secret is readable by the HTTP contexts that sign cursors, not by public or the workers', () => {
    for (const name of HTTP_FUNCTIONS) {
      expect(canDo(name, 'secretsmanager:GetSecretValue', secret()), name).toBe(name !== 'public');
    }
    for (const name of [...QUEUE_FUNCTIONS, ...SCHEDULED_FUNCTIONS]) {
      expect(canDo(name, 'secretsmanager:GetSecretValue', secret()), name).toBe(false);
    }
  });

  describe('the PII secret (national-ID hash key) belongs to the stations function alone', () => {
    const piiSecret = () => logicalIdOf(s.data.piiHashSecret);

    it('only stations has PII_SECRETS_ARN, and it names the PII secret', () => {
      const functions = resourcesOf(s.apiTemplate, 'AWS::Lambda::Function');
      const withPii = Object.entries(functions).filter(([, fn]) => fn.Properties.Environment.Variables.PII_SECRETS_ARN !== undefined);
      expect(withPii.map(([id]) => id)).toEqual([logicalIdOf(s.api.functions.stations)]);
      expect(refersTo(withPii[0]![1].Properties.Environment.Variables.PII_SECRETS_ARN, piiSecret(), s.dataTemplate)).toBe(true);
    });

    it('only stations may read it, and decrypt it through Secrets Manager', () => {
      for (const name of allFunctions) {
        expect(canDo(name, 'secretsmanager:GetSecretValue', piiSecret()), name).toBe(name === 'stations');
      }
      const stationsKms = policyStatementsOf(logicalIdOf(s.api.functions.stations.role!)).filter(
        (st) =>
          (Array.isArray(st.Action) ? st.Action : [st.Action]).includes('kms:Decrypt') &&
          refersTo(st.Resource, logicalIdOf(s.data.key), s.dataTemplate),
      ) as Array<{ Condition?: Record<string, Record<string, unknown>> }>;
      expect(
        stationsKms.some((st) => JSON.stringify(st.Condition?.StringEquals?.['kms:ViaService'] ?? null).includes('secretsmanager.')),
      ).toBe(true);
    });

    it("no policy in the API stack names it except the stations role's", () => {
      const stationsRole = logicalIdOf(s.api.functions.stations.role!);
      const naming = Object.values(resourcesOf(s.apiTemplate, 'AWS::IAM::Policy')).filter((p) =>
        refersTo(p.Properties.PolicyDocument, piiSecret(), s.dataTemplate),
      );
      expect(naming).toHaveLength(1);
      expect(naming[0]!.Properties.Roles).toEqual([{ Ref: stationsRole }]);
    });
  });
});

describe('api stack: the public notice routes', () => {
  it('take no authorizer and have their own, tighter throttle (objections lowest)', () => {
    const resources = s.apiTemplate.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, any> }>;
    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Stage')!;
    const settings = stage.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    const stageLimit = stage.Properties.DefaultRouteSettings.ThrottlingRateLimit as number;
    for (const route of routes.filter((r) => r.path.startsWith('/public/') || r.path.startsWith('/notices'))) {
      expect(route.roles, routeKey(route)).toBe('public');
      const setting = settings[routeKey(route)];
      expect(setting, routeKey(route)).toBeDefined();
      expect(setting!.ThrottlingRateLimit).toBeLessThan(stageLimit);
      const apiRoute = Object.values(resources).find(
        (r) => r.Type === 'AWS::ApiGatewayV2::Route' && r.Properties.RouteKey === routeKey(route),
      )!;
      expect(apiRoute.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    }
    expect(settings['POST /public/notices/{noticeId}/objections']!.ThrottlingRateLimit).toBeLessThan(
      settings['GET /public/notices/{noticeId}']!.ThrottlingRateLimit,
    );
  });
});
