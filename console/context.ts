import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ConsoleApi, RawGet } from './api.ts';
import type { Viewer } from './view.ts';

export interface ConsoleSession {
  api: ConsoleApi;
  rawGet: RawGet;
  viewer: Viewer;
}

export const SessionContext = createContext<ConsoleSession | null>(null);

export function useSession(): ConsoleSession {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in console');
  return session;
}
