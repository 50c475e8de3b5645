// Development scaffold (removed when every domain runs on PostgreSQL): a domain not yet ported answers
// every call with a clear error instead of a wrong result.
import { HarmonizerError } from '../../shared/errors.js';

export function notYetOnPostgres<T>(domain: string): T {
  return new Proxy({}, {
    get: (_t, name) => async () => {
      throw new HarmonizerError('INVALID_CONFIG', `${domain}.${String(name)} does not run on PostgreSQL yet`);
    },
  }) as T;
}
