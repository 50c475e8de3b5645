import { afterAll, beforeAll, describe } from 'vitest';
import { join } from 'node:path';
import { Store, sqliteApi, type StoreApi } from '../src/store/index.js';
import { openPgStore } from '../src/store/pg/index.js';
import { tempDir } from './support/env.js';
import { startPgCluster, type PgCluster } from './support/postgres.js';
import type { ContractContext, ContractWriter } from './store-contract/context.js';
import { GroupCommitWriter, InlineBackend, type WriteBackend } from '../src/ingest/writer.js';
import { PgBackend } from '../src/ingest/pg-backend.js';
import type { PgStore } from '../src/store/pg/index.js';
import { ingestContract } from './store-contract/ingest.js';
import { eventsContract } from './store-contract/events.js';
import { policyContract } from './store-contract/policy.js';
import { tracksContract } from './store-contract/tracks.js';
import { snippetsContract } from './store-contract/snippets.js';
import { labelsContract } from './store-contract/labels.js';
import { modelsContract } from './store-contract/models.js';
import { banditContract } from './store-contract/bandit.js';
import { telemetryContract } from './store-contract/telemetry.js';
import { dashboardContract } from './store-contract/dashboard.js';

/**
 * The store's contract, written once (test/store-contract/*.ts) and run against both implementations:
 * SQLite files and a real throw-away PostgreSQL server. Every test gets a fresh empty store.
 */
const CONTRACTS = [ingestContract, eventsContract, policyContract, tracksContract, snippetsContract, labelsContract, modelsContract, banditContract, telemetryContract, dashboardContract];

/** A group-commit writer over `backend` that counts the dead letters the cap dropped. */
function contractWriter(backend: WriteBackend, close: () => Promise<void> = async () => {}): ContractWriter {
  let dropped = 0;
  const writer = new GroupCommitWriter(backend, { maxEvents: 100, maxDelayMs: 0, maxQueued: 10_000, onCommit: (r) => (dropped += r.rejectedDropped ?? 0) });
  return { writer, dropped: () => dropped, close: async () => { await writer.close(); await close(); } };
}

function suite(ctx: ContractContext): void {
  for (const contract of CONTRACTS) contract(ctx);
}

describe('store contract: SQLite', () => {
  const tmp = tempDir();
  const open: StoreApi[] = [];
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    tmp.cleanup();
  });
  let n = 0;
  let w = 0;
  suite({
    backend: 'sqlite',
    writer: async (store, opts = {}) =>
      contractWriter(new InlineBackend({ dbPath: store.location, jsonlPath: join(tmp.dir, `mirror-${++w}.jsonl`), cacheMb: 8, ...opts })),
    fresh: async () => {
      const path = join(tmp.dir, `contract-${++n}.db`);
      const s = sqliteApi(Store.open(path), path);
      open.push(s);
      return s;
    },
  });
});

describe('store contract: PostgreSQL (real server)', () => {
  let cluster: PgCluster;
  const open: StoreApi[] = [];
  beforeAll(async () => {
    cluster = await startPgCluster();
    // One migrated template; each test copies it (CREATE DATABASE … TEMPLATE: milliseconds, not a migration).
    const tmpl = await openPgStore(cluster.database('contract_template'), 2, 'template');
    await tmpl.close();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    cluster?.stop();
  });
  let n = 0;
  let w = 0;
  const mirrors = tempDir();
  afterAll(() => mirrors.cleanup());
  suite({
    backend: 'postgres',
    writer: async (store, opts = {}) =>
      contractWriter(await PgBackend.start({ pool: (store as PgStore).pool, jsonlPath: join(mirrors.dir, `mirror-${++w}.jsonl`), nodeId: `node-${w}`, ...opts })),
    fresh: async () => {
      const s = await openPgStore(cluster.database(`contract_${++n}`, 'contract_template'), 4, `contract_${n}`);
      open.push(s);
      return s;
    },
  });
});
