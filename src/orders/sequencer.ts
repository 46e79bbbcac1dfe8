import { DurableObject } from "cloudflare:workers";

export class OrderSequencer extends DurableObject<Env> {}
