/**
 * Builds the real app (infra/relief-fund-app.ts) with cdk.json's context, bundling skipped for speed, and
 * synthesizes it in memory: the cdk-nag plugins run as part of the synth, as they do for `cdk synth`.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';
import { PROJECT_ROOT } from '#infra/constructs/bundling';
import { buildReliefFundApp, type ReliefFundApp } from '#infra/relief-fund-app';

export const cdkJson = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
  app: string;
  context: Record<string, unknown>;
};

export interface Synthesized extends ReliefFundApp {
  assembly: CloudAssembly;
  dataTemplate: Template;
  apiTemplate: Template;
}

export function synthesize(context: Record<string, unknown> = {}): Synthesized {
  const app = new App({
    outdir: mkdtempSync(path.join(tmpdir(), 'relief-fund-cdk-')),
    // No stack traces in construct metadata: under vitest's source maps they cost most of the synth time.
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], 'aws:cdk:disable-stack-trace': true, ...context },
  });
  const built = buildReliefFundApp(app);
  const assembly = app.synth();
  return {
    ...built,
    assembly,
    dataTemplate: Template.fromJSON(assembly.getStackByName(built.data.stackName).template),
    apiTemplate: Template.fromJSON(assembly.getStackByName(built.api.stackName).template),
  };
}

/** The CloudFormation logical id of a construct's L1 resource. */
export function logicalIdOf(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };

export function resourcesOf(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/**
 * Replaces the API stack's cross-stack reads (`Fn::GetStackOutput`) by what the data stack publishes,
 * so a test can ask "does this policy name that queue?" by logical id.
 */
export function dereference(value: unknown, dataTemplate: Template): unknown {
  const outputs = dataTemplate.toJSON().Outputs as Record<string, { Value: unknown }>;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const read = (v as Record<string, any>)['Fn::GetStackOutput'];
      if (read) return walk(outputs[read.OutputName]?.Value);
      return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
    }
    return v;
  };
  return walk(value);
}

/** Does a (dereferenced) CloudFormation value point at this logical id? */
export function refersTo(value: unknown, logicalId: string, dataTemplate: Template): boolean {
  const text = JSON.stringify(dereference(value, dataTemplate));
  return text.includes(`{"Ref":"${logicalId}"}`) || text.includes(`{"Fn::GetAtt":["${logicalId}",`);
}
