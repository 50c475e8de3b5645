/** The throw-away PostgreSQL cluster of the benchmarks, for the tests too (one implementation). */
export { startPgCluster, type PgCluster } from '../../bench/support/pg-cluster.js';
