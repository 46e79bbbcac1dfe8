import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof dbOf>;

/** A drizzle handle over the D1 binding (cheap: no connection, just a query builder). */
export function dbOf(env: Env) {
  return drizzle(env.DB, { schema });
}
