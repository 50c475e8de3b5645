import { describe } from 'vitest';
import type { ContractContext } from './context.js';

export function tracksContract(ctx: ContractContext): void {
  describe(`tracks (${ctx.backend})`, () => {});
}
