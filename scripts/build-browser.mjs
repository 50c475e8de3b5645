// Bundles each browser entry point (src/<concern>/browser/main.ts) into dist/public/<concern>.js.
// Kept out of tsc's program because browser code runs without Node's types.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const entries = readdirSync(join(root, 'src'))
  .map((dir) => ({ name: dir, file: join(root, 'src', dir, 'browser', 'main.ts') }))
  .filter((e) => existsSync(e.file));

for (const e of entries) {
  await build({
    entryPoints: [e.file],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    sourcemap: true,
    // Shipped to every browser that opens a page: small matters more than readable (the map has the source).
    minify: true,
    outfile: join(root, 'dist', 'public', `${e.name}.js`),
    logLevel: 'warning',
  });
}
