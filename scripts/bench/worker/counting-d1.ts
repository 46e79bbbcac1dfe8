import { countTable, tableOf, type ScopeCounts } from "./op-counts";

/** The real statement (and its SQL) behind each counting wrapper, so `batch()` hands D1 its own objects. */
const realStatements = new WeakMap<object, { stmt: D1PreparedStatement; sql: string }>();

const WRITE_VERB = /^\s*(insert|update|delete|replace|create|drop|alter)\b/i;

function countStatement(counts: ScopeCounts, sql: string, result: D1Result<unknown> | null) {
  counts.d1Statements++;
  if (WRITE_VERB.test(sql)) counts.d1WriteStatements++;
  else counts.d1ReadStatements++;
  if (!result) {
    counts.d1StatementsWithoutMeta++;
    countTable(counts, `d1:${tableOf(sql)}`, 0, 0);
    return;
  }
  const read = result.meta?.rows_read ?? 0;
  const written = result.meta?.rows_written ?? 0;
  counts.d1RowsRead += read;
  counts.d1RowsWritten += written;
  countTable(counts, `d1:${tableOf(sql)}`, read, written);
}

/** Counts one trip to the database and the caller's wait for it. */
async function roundTrip<T>(counts: ScopeCounts, call: () => Promise<T>): Promise<T> {
  counts.d1RoundTrips++;
  const started = Date.now();
  try {
    return await call();
  } finally {
    counts.d1WallMs += Date.now() - started;
  }
}

function countingStatement(stmt: D1PreparedStatement, sql: string, counts: ScopeCounts): D1PreparedStatement {
  const all = async <T>() => {
    const result = await roundTrip(counts, () => stmt.all<T>());
    countStatement(counts, sql, result);
    return result;
  };
  const wrapped = {
    bind: (...values: unknown[]) => countingStatement(stmt.bind(...values), sql, counts),
    all,
    async run<T>() {
      const result = await roundTrip(counts, () => stmt.run<T>());
      countStatement(counts, sql, result);
      return result;
    },
    // `first()` reports no meta; the same query through `all()` does, and returns the same first row.
    async first<T>(column?: string) {
      const { results } = await all<Record<string, unknown>>();
      const row = results[0] ?? null;
      if (column === undefined || row === null) return row as T | null;
      if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
      return row[column] as T;
    },
    async raw(options?: { columnNames?: boolean }) {
      countStatement(counts, sql, null);
      return roundTrip(counts, () => (options?.columnNames ? stmt.raw({ columnNames: true }) : stmt.raw()));
    },
  };
  realStatements.set(wrapped, { stmt, sql });
  return wrapped as unknown as D1PreparedStatement;
}

/**
 * A D1 binding that counts round trips, statements (read or write, by SQL verb) and the
 * rows D1 reports in `meta.rows_read` / `meta.rows_written` — the units D1 bills.
 */
export function countingD1<T extends D1Database | D1DatabaseSession>(db: T, counts: ScopeCounts): T {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => countingStatement(target.prepare(sql), sql, counts);
      if (prop === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const real = statements.map((s) => realStatements.get(s) ?? { stmt: s, sql: "" });
          const results = await roundTrip(counts, () => target.batch(real.map((r) => r.stmt)));
          results.forEach((result, i) => countStatement(counts, real[i]?.sql ?? "", result));
          return results;
        };
      }
      if (prop === "exec" && "exec" in target) {
        return async (sql: string) => {
          const result = await roundTrip(counts, () => target.exec(sql));
          counts.d1Statements += result.count;
          counts.d1WriteStatements += result.count;
          counts.d1StatementsWithoutMeta += result.count;
          return result;
        };
      }
      if (prop === "withSession" && "withSession" in target) {
        return (constraint?: D1SessionBookmark | D1SessionConstraint) => countingD1(target.withSession(constraint), counts);
      }
      const value = Reflect.get(target, prop) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
