import { expect } from "vitest";
import { api, atoshipEvent, postAtoship } from "./relay";

/** What the list tests share: post distinct AtoShip events, read pages of a list route. */

let serial = 0;

/** Posts an AtoShip event of `event` type with its own label id; its event id. */
export async function postDistinct(source: { ingest_url: string; secret?: string }, event: string, data: Record<string, unknown> = {}): Promise<string> {
  serial += 1;
  const res = await postAtoship(source, atoshipEvent({ event, data: { label_id: `lbl_${serial}_${Math.random()}`, ...data } }));
  expect(res.status, res.text).toBe(200);
  return res.json.event_ids[0] as string;
}

export type Page = { data: Array<{ id: string; [k: string]: any }>; next_cursor: string | null; prev_cursor: string | null };

/** GET a list route; fails the test unless it answers 200. */
export async function listPage(key: string, path: string): Promise<Page> {
  const r = await api("GET", path, { token: key });
  expect(r.status, r.text).toBe(200);
  return r.json as Page;
}

export const idsOf = (p: Page) => p.data.map((e) => e.id);
