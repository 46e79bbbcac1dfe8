import { OrderSequencer } from "./orders/sequencer";

export { OrderSequencer };

export default {
  async fetch() {
    return Response.json({ ok: true });
  },
} satisfies ExportedHandler<Env>;
