import { afterAll, beforeAll, describe } from 'vitest';
import { join } from 'node:path';
import { Store, sqliteApi, type StoreApi } from '../src/store/index.js';
import { openPgStore } from '../src/store/pg/index.js';
import { tempDir } from './support/env.js';
import { startPgCluster, type PgCluster } from './support/postgres.js';
import type { ContractContext } from './store-contract/context.js';
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
const CONTRACTS = [eventsContract, policyContract, tracksContract, snippetsContract, labelsContract, modelsContract, banditContract, telemetryContract, dashboardContract];

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
  suite({
    backend: 'sqlite',
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
  suite({
    backend: 'postgres',
    fresh: async () => {
      const s = await openPgStore(cluster.database(`contract_${++n}`, 'contract_template'), 4, `contract_${n}`);
      open.push(s);
      return s;
    },
  });
});
