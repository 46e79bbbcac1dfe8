import { countTable, tableOf, type OpCounter, type ScopeCounts } from "./op-counts";

const PASS_THROUGH = new Set<string | symbol>(["then", "id", "name", "dup"]);

/** A stub whose calls (RPC methods and fetch) count as Durable Object requests, with the caller's wall time. */
function countingStub<T extends object>(stub: T, counts: ScopeCounts): T {
  return new Proxy(stub, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (PASS_THROUGH.has(prop) || typeof prop === "symbol" || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        counts.durableObjectRequests++;
        const started = Date.now();
        try {
          return await Reflect.apply(value, target, args);
        } finally {
          counts.durableObjectWallMs += Date.now() - started;
        }
      };
    },
  });
}

/** A Durable Object namespace whose stubs count their requests. */
export function countingNamespace<T extends DurableObjectNamespace<any>>(ns: T, counts: ScopeCounts): T {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => countingStub(Reflect.apply(value, target, args) as object, counts);
      }
      return value.bind(target);
    },
  });
}

const patched = new WeakSet<object>();

/**
 * Counts a Durable Object's own storage work: SQL statements with the rows SQLite reports
 * (`rowsRead` / `rowsWritten`, the units SQLite-backed objects are billed in) and alarm
 * calls. Patches the prototypes once per isolate: every object of the isolate is counted.
 */
export function countDurableObjectStorage(ctx: DurableObjectState, counter: OpCounter) {
  const counts = counter.scope("order_do");
  const sqlProto = Object.getPrototypeOf(ctx.storage.sql) as SqlStorage;
  if (!patched.has(sqlProto)) {
    patched.add(sqlProto);
    const exec = sqlProto.exec;
    sqlProto.exec = function (this: SqlStorage, query: string, ...bindings: unknown[]) {
      const cursor = exec.call(this, query, ...bindings);
      const table = tableOf(query);
      // The local runtime's own bookkeeping (miniflare stores each object's name) is not ours.
      if (table.startsWith("__miniflare") || table.startsWith("_cf_")) return cursor;
      // CREATE … IF NOT EXISTS on every constructor is part of the cost too.
      const statements = query.split(";").filter((s) => s.trim()).length;
      counts.doSqlStatements += statements;
      countTable(counts, `do:${table}`, 0, 0, statements);
      counter.trackCursor("order_do", table, cursor);
      return cursor;
    } as SqlStorage["exec"];
  }
  const storageProto = Object.getPrototypeOf(ctx.storage) as DurableObjectStorage;
  if (!patched.has(storageProto)) {
    patched.add(storageProto);
    for (const name of ["getAlarm", "setAlarm", "deleteAlarm"] as const) {
      const original = storageProto[name] as (...args: unknown[]) => unknown;
      (storageProto as unknown as Record<string, unknown>)[name] = function (this: DurableObjectStorage, ...args: unknown[]) {
        counts.doAlarmCalls++;
        if (name === "setAlarm") counts.doSetAlarms++;
        return original.apply(this, args);
      };
    }
  }
}
