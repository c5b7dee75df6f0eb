/**
 * cdk-nag (AwsSolutions and Serverless) runs as a validation plugin of the app: any finding that is not
 * acknowledged fails the synth. Each acknowledgement names one finding and says why.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildReliefFundApp } from '#infra/relief-fund-app';
import { cdkJson, synthesize, type Synthesized } from './synth.ts';

let s: Synthesized;

beforeAll(() => {
  s = synthesize();
});

function findings(scope: IConstruct) {
  return [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack.validateScope(scope).violations.map((v) => ({
      rule: v.ruleName,
      severity: v.severity,
      resources: v.violatingResources.map((r) => r.constructPath),
    })),
  );
}

function acknowledgements(scope: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return scope.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in either pack: no errors, no warnings', () => {
    // synthesize() already ran the plugins (an error would have thrown); this lists what they see.
    expect(findings(s.app)).toEqual([]);
  });

  it('acknowledges one finding at a time, each with a reason', () => {
    const acks = acknowledgements(s.app);
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) {
      expect(ack.id, ack.path).toMatch(/^(AwsSolutions|Serverless)-[A-Za-z0-9]+(\[[^\]]+\])?$/);
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
    }
    // Blanket acknowledgements at app or stack level would hide future findings.
    for (const ack of acks) expect(ack.path.split('/').length, `${ack.id} at ${ack.path}`).toBeGreaterThan(1);
  });

  it('fails the synth when a finding is not acknowledged', () => {
    const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-stack-trace': true } });
    buildReliefFundApp(app);
    const probe = new Stack(app, 'NagProbe');
    new Queue(probe, 'Unencrypted', { encryption: QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});
