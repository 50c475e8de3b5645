import { describe } from 'vitest';
import type { ContractContext } from './context.js';

export function modelsContract(ctx: ContractContext): void {
  describe(`models (${ctx.backend})`, () => {});
}
