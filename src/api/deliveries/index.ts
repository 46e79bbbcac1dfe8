import type { createRouter } from "../app";
import { registerBulkRetry } from "./bulk-retry";
import { registerGetDelivery } from "./get";
import { registerListDeliveries } from "./list";
import { registerRetryDelivery } from "./retry";

/** `/v1/deliveries`: list, get (with attempts), retry, bulk retry. */
export function registerDeliveryRoutes(app: ReturnType<typeof createRouter>) {
  registerListDeliveries(app);
  registerBulkRetry(app);
  registerGetDelivery(app);
  registerRetryDelivery(app);
}
