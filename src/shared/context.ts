import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config';
import type { Clock } from './clock';
import type { Db } from './db';
import type { AuditService } from '../audit/service';

/** What every module service is built with: plain constructor arguments, no container. */
export interface ModuleContext {
  db: Db;
  clock: Clock;
  config: Config;
  log: FastifyBaseLogger;
  /** The one audit log: privileged changes record their row in their own transaction. */
  audit: AuditService;
}
