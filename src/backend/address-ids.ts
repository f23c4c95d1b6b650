/**
 * A small number for each node address ("host:port") the process has seen, the same number for
 * the same address whatever snapshot or string it comes from.
 *
 * Why (issue #22): the shared connection of a request's node was found by the address string, a
 * hash-map lookup per request whose key compare walked the characters (each topology refresh
 * makes new, unflattened strings for the same addresses): about 5% of the proxy's CPU at pipeline
 * 16. A topology node carries its address's id (cluster/topology-snapshot.ts), and the pool finds
 * its connections by it with an array index (node-pool.ts, connectionForNode).
 *
 * Bounded by the addresses the backend ever had: a few per node that was ever in the cluster.
 */
const ids = new Map<string, number>();

/** The id of `address` (0, 1, 2 … in order of first sight). */
export function addressId(address: string): number {
  let id = ids.get(address);
  if (id === undefined) {
    id = ids.size;
    ids.set(address, id);
  }
  return id;
}
