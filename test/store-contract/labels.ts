import { describe } from 'vitest';
import type { ContractContext } from './context.js';

export function labelsContract(ctx: ContractContext): void {
  describe(`labels (${ctx.backend})`, () => {});
}
