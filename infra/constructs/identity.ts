/**
 * Who may call the API. People sign in to the user pool and get their roles as groups (one group per
 * role); machine clients use client credentials and get `relief-fund/<role>` scopes from the resource
 * server. The JWT authorizer trusts this pool; the functions read roles from the claims.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClient,
  UserPoolDomain,
  UserPoolResourceServer,
  type UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES, SCOPE_PREFIX, type Role } from '#shared/domain/roles';

const RESOURCE_SERVER = SCOPE_PREFIX.replace(/\/$/, '');

const ROLE_DESCRIPTIONS: Record<Role, string> = {
  'fund-admin': 'Runs funds, allocations, counties and webhook endpoints',
  requester: 'Requests disbursements and batches (maker)',
  approver: 'Approves or rejects disbursements and batches (checker)',
  'campaign-operator': 'Launches and reports county campaigns',
  'station-officer': 'Onboards and supervises village service stations',
  'finance-system': 'Settles payouts',
  auditor: 'Reads everything, changes nothing',
  observer: 'An independent observer: reads funds and money records masked, changes nothing; every request is logged',
};

export interface IdentityProps {
  /** Cognito domain prefix for the hosted sign-in and the token endpoint; unique per region. */
  domainPrefix: string;
  /** Where the people's app receives the authorization code. */
  callbackUrls: string[];
  logoutUrls: string[];
  /** Where the fund console is served (its `/console/` page receives the authorization code). */
  consoleUrls: string[];
}

export class Identity extends Construct {
  readonly userPool: UserPool;
  readonly groups: Record<Role, UserPoolGroup>;
  readonly resourceServer: UserPoolResourceServer;
  readonly domain: UserPoolDomain;
  /** The app people sign in with: authorization code + PKCE, no secret (it runs in a browser). */
  readonly peopleClient: UserPoolClient;
  /** The fund console's own app client: authorization code + PKCE, no secret, redirects to /console/ only. */
  readonly consoleClient: UserPoolClient;
  /** Example machine client: the finance system that settles payouts, by client credentials. */
  readonly financeSystemClient: UserPoolClient;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      // People are invited by a fund admin; nobody signs themselves up to move relief money.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      // Approvers release money: a stolen password alone must not be enough.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.groups = Object.fromEntries(
      ROLES.map((role) => [role, this.userPool.addGroup(`Group-${role}`, { groupName: role, description: ROLE_DESCRIPTIONS[role] })]),
    ) as Record<Role, UserPoolGroup>;

    const scopes = Object.fromEntries(
      ROLES.map((role) => [role, new ResourceServerScope({ scopeName: role, scopeDescription: ROLE_DESCRIPTIONS[role] })]),
    ) as Record<Role, ResourceServerScope>;
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: RESOURCE_SERVER,
      userPoolResourceServerName: RESOURCE_SERVER,
      scopes: Object.values(scopes),
    });

    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });

    this.peopleClient = this.userPool.addClient('PeopleClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls,
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });

    const consolePages = props.consoleUrls.map((url) => `${url.replace(/\/+$/, '')}/console/`);
    this.consoleClient = this.userPool.addClient('ConsoleClient', {
      generateSecret: false,
      authFlows: {},
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: consolePages,
        logoutUrls: consolePages,
      },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // Short: a console left open on a shared village-office PC should not stay signed in for a day.
      refreshTokenValidity: Duration.hours(8),
    });

    this.financeSystemClient = this.userPool.addClient('FinanceSystemClient', {
      generateSecret: true,
      oAuth: {
        flows: { clientCredentials: true },
        scopes: [OAuthScope.resourceServer(this.resourceServer, scopes['finance-system'])],
      },
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
    });
  }

  /** The `iss` of this pool's tokens. */
  get issuer(): string {
    return `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
  }

  get tokenEndpoint(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }
}
