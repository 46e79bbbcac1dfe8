import { foldRefusalStatements, type IngestLogEntry } from "../db/ingest-log";
import { derivedId } from "../events/ids";

/** A refused request's row is written at once when its fold is new here; then at most this often. */
const WRITE_EVERY_MS = 1000;
/** Folds this isolate keeps at once (a source × reason × minute each); the oldest is written out first. */
const MAX_FOLDS = 1000;
/** Header values kept in a fold's sample: never anything that can carry a credential. */
const SECRET_HEADER = /auth|sign|token|secret|key|cookie|session|password|jwt/i;

interface Fold {
  entry: IngestLogEntry;
  /** Refusals not yet written. */
  unwritten: number;
  lastAt: number;
  writtenAt: number | null;
  timer: Promise<void> | null;
}

const folds = new Map<string, Fold>();

/**
 * Records a refused ingest request (401, 403, 413, 415, 422, 429, 431 …) in the ingest log,
 * folded (CONTRACT.md, Additions): one row per source, reason and minute with its `count`, so
 * the rows a flood can write are bounded per source whatever its size, and the D1 writes it
 * costs are bounded per isolate: the first refusal of a fold is written before the answer (the
 * log shows it at once), later ones are added up here and written at most once a second, in
 * the background (`waitUntil`). A count still waiting when an isolate dies is lost; the
 * refusal itself was answered, and nothing a provider was told depends on it.
 */
export async function recordRefusal(db: D1Database, entry: IngestLogEntry, waitUntil: (p: Promise<unknown>) => void): Promise<void> {
  const minute = Math.floor(entry.at / 60_000);
  const id = await foldId(entry.sourceId, entry.reason ?? "", minute);
  let fold = folds.get(id);
  if (!fold) {
    if (folds.size >= MAX_FOLDS) evictOldest(db, waitUntil);
    fold = { entry: { ...entry, id, detail: sampleDetail(entry.detail) }, unwritten: 0, lastAt: entry.at, writtenAt: null, timer: null };
    folds.set(id, fold);
  }
  fold.unwritten++;
  fold.lastAt = Math.max(fold.lastAt, entry.at);
  if (fold.writtenAt === null) {
    await write(db, fold);
    return;
  }
  if (!fold.timer) {
    const due = Math.max(0, fold.writtenAt + WRITE_EVERY_MS - Date.now());
    fold.timer = new Promise<void>((resolve) => setTimeout(resolve, due)).then(() => write(db, fold)).finally(() => {
      fold.timer = null;
      // A minute that has passed takes no more refusals: forget it once it is written.
      if (fold.unwritten === 0 && Math.floor(Date.now() / 60_000) > minute) folds.delete(id);
    });
    waitUntil(fold.timer);
  }
}

async function write(db: D1Database, fold: Fold) {
  const count = fold.unwritten;
  if (count === 0) return;
  fold.unwritten = 0;
  fold.writtenAt = Date.now();
  try {
    await db.batch(foldRefusalStatements(db, fold.entry, count, fold.lastAt));
  } catch (err) {
    fold.unwritten += count; // written with the next one
    console.error(JSON.stringify({ level: "error", msg: "ingest refusal not logged", source_id: fold.entry.sourceId, error: (err as Error).message }));
  }
}

function evictOldest(db: D1Database, waitUntil: (p: Promise<unknown>) => void) {
  const [id, oldest] = folds.entries().next().value!;
  folds.delete(id);
  if (oldest.unwritten > 0) waitUntil(write(db, oldest));
}

/** The row of a source's refusals for one reason in one minute. */
function foldId(sourceId: string, reason: string, minute: number): Promise<string> {
  return derivedId("ilg", `${sourceId}|${reason}|${minute}`);
}

/** The sample request's detail, its headers without anything that could carry a secret. */
function sampleDetail(detail: Record<string, unknown>): Record<string, unknown> {
  const headers = detail.headers as Record<string, string> | undefined;
  if (!headers) return detail;
  return { ...detail, headers: Object.fromEntries(Object.entries(headers).filter(([name]) => !SECRET_HEADER.test(name))) };
}
