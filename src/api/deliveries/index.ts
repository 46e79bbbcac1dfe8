import type { createRouter } from "../app";
import { registerGetDelivery } from "./get";
import { registerListDeliveries } from "./list";
import { registerRetryDelivery } from "./retry";

/** `/v1/deliveries`: list, get (with attempts), retry. */
export function registerDeliveryRoutes(app: ReturnType<typeof createRouter>) {
  registerListDeliveries(app);
  registerGetDelivery(app);
  registerRetryDelivery(app);
}
