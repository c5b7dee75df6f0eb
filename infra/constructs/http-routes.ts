/**
 * Wires every route of shared/routes.ts (the one route table) to its function's Lambda integration.
 * Adding a route to the table is all it takes to deploy it; each route construct is named by its
 * operationId, so its logical id stays stable.
 */
import { Validations } from 'aws-cdk-lib';
import { HttpMethod, HttpRoute, HttpRouteKey, type HttpApi, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { routes, type HttpFunctionName } from '#shared/routes';

export interface HttpRoutesProps {
  api: HttpApi;
  functions: Record<HttpFunctionName, IFunction>;
  /** Verifies the token on every route whose roles are not `public`. */
  authorizer: IHttpRouteAuthorizer;
}

export class HttpRoutes extends Construct {
  readonly routes: HttpRoute[] = [];

  constructor(scope: Construct, id: string, props: HttpRoutesProps) {
    super(scope, id);

    const integrations = new Map<HttpFunctionName, HttpLambdaIntegration>();
    const integrationOf = (fn: HttpFunctionName) => {
      let integration = integrations.get(fn);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${fn}-integration`, props.functions[fn]);
        integrations.set(fn, integration);
      }
      return integration;
    };

    for (const route of routes) {
      const isPublic = route.roles === 'public';
      const httpRoute = new HttpRoute(this, route.operationId, {
        httpApi: props.api,
        routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
        integration: integrationOf(route.fn),
        authorizer: isPublic ? undefined : props.authorizer,
      });
      if (isPublic) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by the API contract (health, OpenAPI document, docs, the public notice board and its objections, which show only masked names); it needs no token.`,
        });
      }
      this.routes.push(httpRoute);
    }
  }
}
