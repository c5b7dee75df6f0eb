/** Entry: load the runtime config, finish a sign-in if this is the hosted UI's redirect, render. */
import { render } from 'preact';
import { App } from './app.tsx';
import { completeSignIn, storedSession, type Session } from './auth.ts';
import { loadConfig } from './config.ts';

async function start(): Promise<void> {
  const root = document.getElementById('app')!;
  const config = await loadConfig();
  let session: Session | null = null;
  let signInError: string | null = null;
  try {
    session = (await completeSignIn(config)) ?? storedSession();
  } catch (error) {
    signInError = (error as Error).message;
  }
  render(<App config={config} initialSession={session} signInError={signInError} />, root);
}

void start();
