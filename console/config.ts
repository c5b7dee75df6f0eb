/**
 * The runtime config served next to the app (`config.json`): the only thing that differs between
 * `npm start` and the deployed console. The API is on the same origin (CloudFront routes /v1/*).
 */
export interface ConsoleConfig {
  /** The hosted UI's authorization endpoint (Cognito, or local/hosted-ui.ts). */
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  /** Empty: the console's own origin. */
  apiUrl: string;
  scope: string;
}

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  return (await response.json()) as ConsoleConfig;
}
