/**
 * The fund console, deployed: its built files in a private S3 bucket read by CloudFront through origin
 * access control, a strict Content-Security-Policy on every response, and the API behind the same
 * distribution at /v1/* (one origin: no CORS, `connect-src 'self'`). config.json, written at deploy
 * time, names the Cognito hosted UI and the console's own app client; nothing else differs from local.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { CfnOutput, DockerImage, Duration, Fn, RemovalPolicy, Stack, Token, Validations, type StackProps } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  FunctionCode,
  FunctionEventType,
  Function as CloudFrontFunction,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin, S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import { consoleContentSecurityPolicy } from '#shared/console-policy';
import { PROJECT_ROOT } from '../constructs/bundling.ts';
import type { ApiStack } from './api-stack.ts';
import type { DataStack } from './data-stack.ts';

const CONSOLE_SOURCE = path.join(PROJECT_ROOT, 'console');

export interface ConsoleStackProps extends StackProps {
  data: DataStack;
  api: ApiStack;
}

export class ConsoleStack extends Stack {
  readonly bucket: Bucket;
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: ConsoleStackProps) {
    super(scope, id, props);
    const { identity } = props.data;

    const logs = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront standard logs are written with an ACL.
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the access log destination of the console bucket and distribution; logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'Assets', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 'assets/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const headers = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'relief-fund console: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy([identity.domain.baseUrl()]), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });

    // `/console/` is the app's page; S3 has an object `console/index.html`, not a directory.
    const indexPages = new CloudFrontFunction(this, 'IndexPages', {
      comment: 'Serve index.html for directory URLs of the console',
      code: FunctionCode.fromInline(
        "function handler(event) { var r = event.request; if (r.uri === '/console') { return { statusCode: 302, statusDescription: 'Found', headers: { location: { value: '/console/' } } }; } if (r.uri.endsWith('/')) { r.uri += 'index.html'; } return r; }",
      ),
    });

    const apiDomain = Fn.select(2, Fn.split('/', props.api.api.apiEndpoint));
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'relief-fund console and API',
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_ALL,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        functionAssociations: [{ function: indexPages, eventType: FunctionEventType.VIEWER_REQUEST }],
      },
      additionalBehaviors: {
        // The API on the console's origin: never cached, every header but Host passed on (Authorization included).
        '/v1/*': {
          origin: new HttpOrigin(apiDomain, { protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY }),
          viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: AllowedMethods.ALLOW_ALL,
          cachePolicy: CachePolicy.CACHING_DISABLED,
          originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Fund staff and county officers sign in from wherever they work, abroad included; the console is behind Cognito with MFA, so a country block adds nothing.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'A CloudFront web ACL must be created in us-east-1; the API behind /v1/* has its own stage throttling and JWT authorizer. Attach one with the webAclId of a us-east-1 stack when it exists.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'Without a custom domain the distribution uses the default *.cloudfront.net certificate, whose minimum protocol CloudFront fixes; with a domain, set TLSv1.2_2021 (docs/deploy.md).',
      },
    );

    new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      destinationKeyPrefix: 'console/',
      distribution: this.distribution,
      distributionPaths: ['/console/*'],
      memoryLimit: 512,
      sources: [
        Source.asset(CONSOLE_SOURCE, {
          exclude: ['dist'],
          bundling: {
            // Only used if the local build below fails; the local one needs no Docker.
            image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:20'),
            local: {
              tryBundle(outputDir: string): boolean {
                execFileSync(
                  process.execPath,
                  [
                    path.join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'),
                    'build',
                    '--config',
                    path.join(CONSOLE_SOURCE, 'vite.config.ts'),
                    '--outDir',
                    outputDir,
                    '--emptyOutDir',
                  ],
                  { cwd: PROJECT_ROOT, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } },
                );
                return true;
              },
            },
          },
        }),
        Source.jsonData('config.json', {
          authorizeUrl: `${identity.domain.baseUrl()}/oauth2/authorize`,
          tokenUrl: identity.tokenEndpoint,
          clientId: identity.consoleClient.userPoolClientId,
          apiUrl: '',
          scope: 'openid email profile',
        }),
      ],
    });

    this.acknowledgeDeploymentHandler();

    new CfnOutput(this, 'ConsoleUrl', {
      value: `https://${this.distribution.distributionDomainName}/console/`,
      description: 'The fund console; pass its origin as -c consoleUrls=... so Cognito accepts the redirect',
    });
  }

  /**
   * BucketDeployment copies the built files with a singleton Lambda that CDK provides; it runs at deploy
   * time only, called by CloudFormation. Its findings are CDK's choices, acknowledged one by one.
   */
  private acknowledgeDeploymentHandler(): void {
    const handlers = this.node.children.filter((c) => c.node.id.startsWith('Custom::CDKBucketDeployment'));
    const grants =
      "CDK grants its deployment handler exactly this on the asset staging bucket and the console bucket; the console's files are replaced as a set.";
    for (const handler of handlers) {
      Validations.of(handler).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            'The CDK-provided deployment handler writes its own logs with the basic execution role; it holds no data access through it.',
        },
        ...[
          'Action::s3:GetBucket*',
          'Action::s3:GetObject*',
          'Action::s3:List*',
          'Action::s3:Abort*',
          'Action::s3:DeleteObject*',
          `Resource::${this.stagingObjectsArn()}`,
          'Resource::<Assets9A31D427.Arn>/*',
        ].map((finding) => ({
          id: `AwsSolutions-IAM5[${finding}]`,
          reason: grants,
        })),
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'cloudfront:CreateInvalidation after a deployment; CDK grants it on * and the handler only invalidates /console/* of this distribution.',
        },
        {
          id: 'AwsSolutions-L1',
          reason:
            'The runtime of the deployment handler is chosen by aws-cdk-lib and moves with its upgrades; it runs only during deployments.',
        },
        {
          id: 'Serverless-LambdaLatestVersion',
          reason:
            'The runtime of the deployment handler is chosen by aws-cdk-lib and moves with its upgrades; it runs only during deployments.',
        },
        {
          id: 'Serverless-LambdaDLQ',
          reason:
            'Invoked synchronously by CloudFormation as a custom resource: a failure fails the deployment, so there is nothing to dead-letter.',
        },
        {
          id: 'Serverless-LambdaTracing',
          reason: 'A deploy-time copy job, not part of any request path; its CloudWatch logs are enough to diagnose a failed deployment.',
        },
      );
    }
  }

  /** The CDK staging bucket's objects as cdk-nag names them: concrete where the stack's env is, placeholders otherwise. */
  private stagingObjectsArn(): string {
    const region = Token.isUnresolved(this.region) ? undefined : this.region;
    const partition = region ? (RegionInfo.get(region).partition ?? 'aws') : '<AWS::Partition>';
    const account = Token.isUnresolved(this.account) ? '<AWS::AccountId>' : this.account;
    return `arn:${partition}:s3:::cdk-hnb659fds-assets-${account}-${region ?? '<AWS::Region>'}/*`;
  }
}
