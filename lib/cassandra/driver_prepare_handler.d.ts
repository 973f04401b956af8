/** How cassandra-driver finds a statement's prepared id (lib/prepare-handler.js exports it alone). */
declare class PrepareHandler {
  static getPreparedMultiple(
    client: unknown,
    loadBalancing: unknown,
    queries: readonly unknown[],
    keyspace: string | undefined,
  ): Promise<{ query: string; params: unknown; queryId: unknown; meta: unknown }[]>;
}
export default PrepareHandler;
