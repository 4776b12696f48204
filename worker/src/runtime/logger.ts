import pino, { type Logger } from 'pino';
import type { WorkerEvent } from './events.ts';

/**
 * One JSON line per job event (started, completed, failed), with job id, task, family, attempt
 * and duration; inputs appear only through the contract's `logFields`.
 *
 * @example
 * const log = jobEventLogger(pino());
 * await startFamilyWorker({ handlers, redisUrl, onEvent: log });
 */
export function jobEventLogger(logger: Logger): (event: WorkerEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'started':
        logger.info({ event: 'job.started', ...event, type: undefined }, `${event.task} ${event.jobId} started (attempt ${event.attempt})`);
        break;
      case 'completed':
        logger.info(
          { event: 'job.completed', ...event, type: undefined },
          `${event.task} ${event.jobId} completed in ${event.durationMs} ms`,
        );
        break;
      case 'failed':
        (event.willRetry ? logger.warn : logger.error).call(
          logger,
          { event: event.willRetry ? 'job.retrying' : 'job.failed', ...event, type: undefined },
          `${event.task} ${event.jobId} failed: ${event.code}: ${event.message}`,
        );
        break;
      case 'error':
        logger.error({ event: 'worker.error', message: event.message }, event.message);
        break;
    }
  };
}

/** The process logger: JSON lines on stdout, level from LOG_LEVEL (default info). */
export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level: process.env.LOG_LEVEL ?? 'info',
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
