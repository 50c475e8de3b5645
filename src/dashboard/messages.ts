/** The typed protocol between the server's thread and the dashboard thread (worker.ts). */
import type { StoreTarget } from '../store/index.js';
import type { OpePanel } from './ope.js';
import type { DashboardSummary, ProbeValues, RangeName } from './summary.js';

export interface DashboardInit {
  /** Which store the thread opens (plain data: it crosses the thread boundary). */
  store: StoreTarget;
}

export type ToDashboard =
  | { type: 'summary'; id: number; range: RangeName; probes: ProbeValues; now: number }
  | { type: 'ope'; id: number; now: number }
  | { type: 'close' };

export type FromDashboard =
  | { type: 'summary'; id: number; summary: DashboardSummary }
  | { type: 'ope'; id: number; panel: OpePanel }
  | { type: 'error'; id: number; message: string }
  | { type: 'closed' };
