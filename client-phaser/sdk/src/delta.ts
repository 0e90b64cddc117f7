/**
 * Delta snapshots (PROTOCOL.md "Delta snapshots"): keeps the last states received and applies the
 * deltas the server sends to clients that acknowledge snapshots (`snapshot_ack`).
 *
 * A state is the snapshot's raw records in ascending id order; a delta's change list (one entry per
 * baseline entity) rebuilds the records, which are then decoded like a keyframe's.
 */
import { ProtocolError, type SnapshotCodec } from "./codec";
import { BitReader, BitWriter, FieldError, fieldBits } from "./fields";
import type { Snapshot } from "./protocol";

/** States kept, as the server's history (`welcome.deltas`). */
export const DELTA_HISTORY = 32;

const POS_WIDTHS = [4, 8, 12];

/** One received snapshot's records, by ascending id. */
interface State {
  readonly tick: number;
  readonly ids: number[];
  readonly records: Uint8Array[];
}

/** Decodes a client's snapshots, keyframes and deltas; acknowledge each returned tick. */
export class SnapshotReceiver {
  private readonly history: State[] = [];

  constructor(private readonly codec: SnapshotCodec) {}

  /**
   * Decodes one `snapshot` payload. A keyframe's entities come in the server's order, a delta's in
   * ascending id. A failed payload changes nothing.
   *
   * @throws ProtocolError on a malformed document, or a delta against a state not kept
   */
  receive(payload: unknown): Snapshot {
    const parts = this.codec.decodeParts(payload);
    let state: State;
    let block: Uint8Array;
    if (parts.base === null) {
      const entities = this.codec.decodeEntities(parts.entities);
      this.push(this.split(parts.tick, parts.entities));
      return this.codec.withEntities(parts, entities);
    }
    const base = this.history.find((s) => s.tick === parts.base);
    if (!base) throw new ProtocolError(`snapshot: delta against tick ${parts.base}, which is not kept`);
    try {
      state = this.apply(base, parts.tick, parts.entities);
    } catch (e) {
      if (e instanceof FieldError) throw new ProtocolError(`snapshot delta: ${e.message}`);
      throw e;
    }
    block = concat(state.records);
    const entities = this.codec.decodeEntities(block);
    this.push(state);
    return this.codec.withEntities(parts, entities);
  }

  private push(s: State): void {
    if (this.history.length >= DELTA_HISTORY) this.history.shift();
    this.history.push(s);
  }

  /** Splits a block of whole records into a state sorted by id (ids must be distinct). */
  private split(tick: number, bytes: Uint8Array): State {
    const recs: { id: number; rec: Uint8Array }[] = [];
    let off = 0;
    while (off < bytes.byteLength) {
      if (off + 3 > bytes.byteLength) throw new ProtocolError("snapshot.entities: truncated record head");
      const len = this.codec.recordBytes(bytes[off + 2]! & 0x7f);
      if (len === undefined) throw new ProtocolError(`snapshot.entities: kind ${bytes[off + 2]! & 0x7f} is not in the schema`);
      if (off + len > bytes.byteLength) throw new ProtocolError("snapshot.entities: truncated record");
      recs.push({ id: bytes[off]! | (bytes[off + 1]! << 8), rec: bytes.subarray(off, off + len) });
      off += len;
    }
    recs.sort((a, b) => a.id - b.id);
    for (let i = 1; i < recs.length; i++) {
      if (recs[i]!.id === recs[i - 1]!.id) throw new ProtocolError(`snapshot.entities: entity ${recs[i]!.id} twice`);
    }
    return { tick, ids: recs.map((r) => r.id), records: recs.map((r) => r.rec) };
  }

  private apply(base: State, tick: number, block: Uint8Array): State {
    const r = new BitReader(block, 0, block.byteLength);
    let bits = 0;
    const read = (n: number): number => {
      bits += n;
      return r.read(n);
    };
    const ids: number[] = [];
    const records: Uint8Array[] = [];
    for (let i = 0; i < base.ids.length; i++) {
      const a = base.records[i]!;
      if (read(1) === 0) {
        ids.push(base.ids[i]!);
        records.push(a);
        continue;
      }
      if (read(1) === 1) {
        if (read(1) === 1) throw new ProtocolError("snapshot delta: reserved entry (leaving the view)");
        continue; // removed
      }
      const kind = this.codec.kind(a[2]! & 0x7f);
      if (!kind) throw new ProtocolError(`snapshot delta: kind ${a[2]! & 0x7f} is not in the schema`);
      const fields = kind.fields;
      const mask = read(2 + fields.length);
      const has = (b: number) => Math.floor(mask / 2 ** b) % 2 === 1;
      let x = a[3]! | (a[4]! << 8);
      let y = a[5]! | (a[6]! << 8);
      if (has(0)) {
        const c = read(2);
        const w = POS_WIDTHS[c];
        if (w !== undefined) {
          x += unzigzag(read(w));
          y += unzigzag(read(w));
          if (x < 0 || x > 0xffff || y < 0 || y > 0xffff) throw new ProtocolError("snapshot delta: position outside the world");
        } else {
          x = read(16);
          y = read(16);
        }
      }
      const old = new BitReader(a, 7, a.byteLength);
      const q = fields.map((f) => old.read(fieldBits(f)));
      fields.forEach((f, k) => {
        if (has(k + 2)) q[k] = read(fieldBits(f));
      });
      const w = new BitWriter();
      fields.forEach((f, k) => w.write(q[k]!, fieldBits(f)));
      const tail = w.bytes();
      const rec = new Uint8Array(7 + tail.byteLength);
      rec[0] = a[0]!;
      rec[1] = a[1]!;
      rec[2] = has(1) ? a[2]! ^ 0x80 : a[2]!;
      rec[3] = x & 0xff;
      rec[4] = x >> 8;
      rec[5] = y & 0xff;
      rec[6] = y >> 8;
      rec.set(tail, 7);
      ids.push(base.ids[i]!);
      records.push(rec);
    }
    const added = this.split(tick, block.subarray(Math.ceil(bits / 8)));
    // Merge the new records (ascending id) with the kept ones.
    const out: State = { tick, ids: [], records: [] };
    let i = 0;
    let j = 0;
    while (i < ids.length || j < added.ids.length) {
      if (j >= added.ids.length || (i < ids.length && ids[i]! < added.ids[j]!)) {
        out.ids.push(ids[i]!);
        out.records.push(records[i]!);
        i++;
      } else {
        if (i < ids.length && ids[i] === added.ids[j]) throw new ProtocolError(`snapshot delta: entity ${ids[i]} twice`);
        out.ids.push(added.ids[j]!);
        out.records.push(added.records[j]!);
        j++;
      }
    }
    return out;
  }
}

function unzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}
