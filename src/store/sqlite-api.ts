import type { Store } from './index.js';
import { DOMAINS, type StoreApi } from './api.js';

/** The domain object's methods, each returning a Promise of what the synchronous method returns (or throws). */
function asyncView<T extends object>(domain: T): unknown {
  const view: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (let proto = Object.getPrototypeOf(domain); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const fn = (domain as Record<string, unknown>)[name];
      if (name === 'constructor' || typeof fn !== 'function' || name in view) continue;
      view[name] = (...args: unknown[]) => {
        try {
          return Promise.resolve((fn as (...a: unknown[]) => unknown).apply(domain, args));
        } catch (err) {
          return Promise.reject(err);
        }
      };
    }
  }
  return view;
}

/**
 * The SQLite store behind the asynchronous interface. Each method runs synchronously to completion
 * (its transaction, if any, is inside the domain class), then the Promise resolves: no await ever
 * happens inside a SQLite transaction. `close` closes the underlying Store.
 */
export function sqliteApi(store: Store, location: string): StoreApi & { readonly sync: Store } {
  const api = { kind: 'sqlite' as const, location, sync: store, close: async () => store.close() } as Record<string, unknown>;
  for (const d of DOMAINS) api[d] = asyncView(store[d]);
  return api as unknown as StoreApi & { readonly sync: Store };
}
