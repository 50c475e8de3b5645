import { describe } from 'vitest';
import type { ContractContext } from './context.js';

export function telemetryContract(ctx: ContractContext): void {
  describe(`telemetry (${ctx.backend})`, () => {});
}
