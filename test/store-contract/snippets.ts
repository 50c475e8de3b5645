import { describe } from 'vitest';
import type { ContractContext } from './context.js';

export function snippetsContract(ctx: ContractContext): void {
  describe(`snippets (${ctx.backend})`, () => {});
}
