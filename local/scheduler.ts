/**
 * Stands in for the EventBridge schedule: invokes a scheduled function every `everySeconds` with a
 * ScheduledEvent-shaped event. Runs never overlap; a failing run is logged and the next one comes.
 */
import { randomUUID } from 'node:crypto';
import type { ScheduledEvent } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID, localRegion } from './environment.ts';
import { invoke, type LambdaHandler } from './invoke.ts';
import { errorFields, type RuntimeLog } from './log.ts';

export interface ScheduleOptions {
  functionName: string;
  ruleName: string;
  everySeconds: number;
  /** Instead of a fixed interval, the wait before the next run (a cron: the monthly snapshots). */
  nextDelayMs?: () => number;
  timeoutMs: number;
  loadHandler: () => Promise<LambdaHandler>;
  log: RuntimeLog;
}

export interface Schedule {
  stop(): Promise<void>;
}

export function scheduledEvent(ruleName: string, at = new Date()): ScheduledEvent {
  const region = localRegion();
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${LOCAL_ACCOUNT_ID}:rule/${ruleName}`],
    detail: {},
  };
}

export function startSchedule(options: ScheduleOptions): Schedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const run = async () => {
    try {
      const handler = await options.loadHandler();
      await invoke(handler, scheduledEvent(options.ruleName), {
        functionName: options.functionName,
        timeoutMs: options.timeoutMs,
      });
    } catch (error) {
      options.log.error('scheduled run failed', { functionName: options.functionName, ...errorFields(error) });
    }
  };
  const next = () => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = run().finally(() => {
          running = undefined;
          next();
        });
      },
      options.nextDelayMs?.() ?? options.everySeconds * 1000,
    );
  };
  next();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
