/**
 * The console's deployment: a private bucket behind CloudFront origin access control, a strict CSP on
 * every response, the API on the same origin and uncached, and an app client of its own that the API's
 * JWT authorizer accepts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { logicalIdOf, refersTo, resourcesOf, synthesize, type Synthesized } from './synth.ts';

let s: Synthesized;
let consoleTemplate: Template;

beforeAll(() => {
  s = synthesize({ consoleUrls: 'https://console.example.org' });
  consoleTemplate = Template.fromJSON(s.assembly.getStackByName(s.console.stackName).template);
}, 120_000);

describe('console stack', () => {
  it('keeps the console bucket private, encrypted and TLS-only, read by CloudFront through origin access control', () => {
    consoleTemplate.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'assets/' }),
    });
    consoleTemplate.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    const distribution = Object.values(resourcesOf(consoleTemplate, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    const s3Origin = distribution.Origins.find((o: { S3OriginConfig?: unknown }) => o.S3OriginConfig);
    expect(s3Origin.OriginAccessControlId).toBeDefined();
    expect(s3Origin.S3OriginConfig.OriginAccessIdentity).toBe('');
    expect(distribution.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
  });

  it('sends a strict Content-Security-Policy: no inline code, scripts and styles from its own origin', () => {
    const policy = Object.values(resourcesOf(consoleTemplate, 'AWS::CloudFront::ResponseHeadersPolicy'))[0]!.Properties
      .ResponseHeadersPolicyConfig;
    const csp = JSON.stringify(policy.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(policy.SecurityHeadersConfig.FrameOptions.FrameOption).toBe('DENY');
  });

  it('serves the API at /v1/* on the same origin, never cached', () => {
    const distribution = Object.values(resourcesOf(consoleTemplate, 'AWS::CloudFront::Distribution'))[0]!.Properties.DistributionConfig;
    const api = distribution.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/v1/*');
    expect(api.AllowedMethods).toEqual(expect.arrayContaining(['POST', 'PUT', 'DELETE']));
    expect(api.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // Managed-CachingDisabled
  });

  it('gives the console its own public app client (code + PKCE, no secret, /console/ redirect) that the API accepts', () => {
    s.dataTemplate.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      CallbackURLs: ['https://console.example.org/console/'],
    });
    const clientId = logicalIdOf(s.data.identity.consoleClient);
    const authorizer = Object.values(resourcesOf(s.apiTemplate, 'AWS::ApiGatewayV2::Authorizer'))[0]!;
    expect(refersTo(authorizer.Properties.JwtConfiguration.Audience, clientId, s.dataTemplate)).toBe(true);
  });
});
