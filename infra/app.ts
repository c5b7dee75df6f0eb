/** The CDK app (`npx cdk synth`, `npx cdk deploy --all`): see infra/relief-fund-app.ts and docs/deploy.md. */
import { buildReliefFundApp } from './relief-fund-app.ts';

buildReliefFundApp();
