import { describe } from 'vitest';
import type { ContractContext } from './context.js';

export function dashboardContract(ctx: ContractContext): void {
  describe(`dashboard (${ctx.backend})`, () => {});
}
