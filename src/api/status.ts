import { createRoute, z } from "@hono/zod-openapi";
import pkg from "../../package.json";
import { deliveryBacklog } from "../db/deliveries-backlog";
import { appliedMigrations } from "../db/relay-state";
import { outboxBacklog } from "../orders/backlog-summary";
import { lastCronRun } from "../housekeeping/last-run";
import { configOf } from "../lib/config";
import type { createRouter } from "./app";
import { errorResponses } from "./openapi";
import { iso } from "./pagination";

/** Variables whose value is a secret: shown only as whether they are set. */
const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD/;

const statusSchema = z
  .object({
    version: z.string().openapi({ description: "package.json version of the deployed build" }),
    migrations: z
      .object({ applied: z.number(), last: z.string().nullable(), names: z.array(z.string()) })
      .nullable()
      .openapi({ description: "D1 migrations applied (d1_migrations); null when the table cannot be read" }),
    deliveries: z.object({
      open: z.number().openapi({ description: "pending or retrying, every workspace" }),
      due: z.number().openapi({ description: "open and due now: what the delivery queue should be working on" }),
      oldest_open_created_at: z.string().nullable(),
      oldest_open_age_seconds: z.number().nullable(),
      waiting_on_inactive_destination: z.number().openapi({ description: "open, but their destination is paused or disabled" }),
    }),
    outbox: z
      .object({
        objects_with_backlog: z.number().openapi({ description: "order objects that reported entries waiting or set aside" }),
        waiting: z.number().openapi({ description: "accepted events not yet in D1 and on the queue, as last reported" }),
        set_aside: z.number().openapi({ description: "entries D1 refused every time, kept in their object for the operator" }),
        oldest_waiting_at: z.string().nullable(),
      })
      .openapi({
        description:
          "the order objects' outbox backlog, as the objects report it once D1 takes their writes again (a healthy object reports nothing)",
      }),
    last_cron_run: z
      .object({ scheduled_at: z.string(), finished_at: z.string(), ok: z.boolean(), error: z.string().optional() })
      .nullable(),
    config: z.record(z.string(), z.unknown()).openapi({
      description: "the parsed configuration in force; secrets (ADMIN_TOKEN, ENCRYPTION_KEY…) only as {set: true|false}",
    }),
  })
  .openapi("OperatorStatus");

const route = createRoute({
  method: "get",
  path: "/v1/status",
  tags: ["operator"],
  summary: "The relay's state for its operator (admin token): version, migrations, backlogs, last cron run, configuration",
  security: [{ adminToken: [] }],
  responses: {
    200: { description: "status", content: { "application/json": { schema: statusSchema } } },
    ...errorResponses(401, 503),
  },
});

/** The configuration as parsed, every secret replaced by whether it is set. */
export function configInForce(env: Env): Record<string, unknown> {
  const config: Record<string, unknown> = { ENCRYPTION_KEY: undefined, ENCRYPTION_KEY_PREVIOUS: undefined, ...configOf(env) };
  const out: Record<string, unknown> = { ADMIN_TOKEN: { set: Boolean(env.ADMIN_TOKEN) } };
  for (const [name, value] of Object.entries(config)) {
    out[name] = SECRET_NAME.test(name) ? { set: value !== undefined && value !== null && value !== "" } : (value ?? null);
  }
  return out;
}

export function registerStatusRoute(app: ReturnType<typeof createRouter>) {
  app.openapi(route, async (c) => {
    const now = Date.now();
    const [migrations, backlog, cron] = await Promise.all([appliedMigrations(c.env.DB), deliveryBacklog(c.env.DB, now), lastCronRun(c.env)]);
    const oldest = backlog.oldest_open_created_at;
    return c.json(
      {
        version: pkg.version,
        migrations: migrations && { applied: migrations.length, last: migrations.at(-1)?.name ?? null, names: migrations.map((m) => m.name) },
        deliveries: {
          open: backlog.open,
          due: backlog.due,
          oldest_open_created_at: iso(oldest),
          oldest_open_age_seconds: oldest === null ? null : Math.max(0, Math.round((now - oldest) / 1000)),
          waiting_on_inactive_destination: backlog.waiting_on_inactive_destination,
        },
        outbox: await outboxBacklog(c.env.DB),
        last_cron_run: cron,
        config: configInForce(c.env),
      },
      200,
    );
  });
}
