import type { TelemetryApi } from '../api.js';
import type { PgPool } from './pool.js';
import { notYetOnPostgres } from './pending.js';

export function pgTelemetry(_pool: PgPool): TelemetryApi {
  return notYetOnPostgres<TelemetryApi>('telemetry');
}
