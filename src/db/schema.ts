/**
 * The relay's durable state in D1. Times are unix milliseconds (rendered as ISO-8601 by
 * the API). Columns ending in `_enc` hold AES-GCM ciphertext (src/lib/crypto.ts); nothing
 * secret is stored in clear. JSON columns hold non-secret configuration.
 *
 * The drizzle tables (→ migrations/ via `npm run db:generate`) are declared in src/db/tables/,
 * a file per concern; each table's queries live in its home, src/db/<table>.ts.
 */

export * from "./tables/config";
export * from "./tables/events";
export * from "./tables/deliveries";
export * from "./tables/ingest-log";
export * from "./tables/operations";
