import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { distModule, projectRoot } from '../../src/shared/paths.js';

/**
 * Worker threads load compiled JavaScript from dist/. `make test` builds first; when a suite runs
 * alone (npx vitest run test/x.test.ts) after editing a concern's sources, compile them again.
 */
export function ensureCompiled(concern: 'analysis' | 'render' | 'train'): void {
  const worker = distModule(`${concern}/worker.js`);
  const dir = join(projectRoot, 'src', concern);
  const newest = Math.max(...readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => statSync(join(dir, f)).mtimeMs));
  if (existsSync(worker) && statSync(worker).mtimeMs >= newest) return;
  try {
    execFileSync(join(projectRoot, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], { cwd: projectRoot, stdio: 'pipe' });
  } catch {
    // tsc exits non-zero on type errors elsewhere but still emits.
  }
}
