import { describe } from 'vitest';
import type { ContractContext } from './context.js';

export function banditContract(ctx: ContractContext): void {
  describe(`bandit (${ctx.backend})`, () => {});
}
