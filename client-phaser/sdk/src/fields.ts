/**
 * Bit-packed fields (PROTOCOL.md "Field types"): quantization, dequantization and the LSB-first
 * bit stream they travel in. All arithmetic is in 32-bit floats (`Math.fround` after every
 * operation, in the order PROTOCOL.md gives), so a decoded value has the same bits as the server's
 * `f32` and the golden fixtures compare exactly.
 */
import type { FieldDoc, FieldValue, FieldValues, InputValue } from "./protocol";

const f = Math.fround;

/** `f32(2π)`, PROTOCOL.md's τ. */
export const TAU = f(2 * Math.PI);

/** A field or schema the decoder cannot use, or data that does not fit it. */
export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FieldError";
  }
}

/** Bits a field takes in a record (velocity: two components). */
export function fieldBits(doc: FieldDoc): number {
  return doc.type === "velocity" ? 2 * doc.bits : doc.bits;
}

/** Bits needed to write `n` (0 for 0): the `bits` rule of uint/int/fixed. */
export function bitsFor(n: number): number {
  let b = 0;
  while (n >= 1) {
    n = Math.floor(n / 2);
    b++;
  }
  return b;
}

/**
 * Checks that a field's parameters are those PROTOCOL.md allows for its type (a server sending
 * anything else is broken or newer; better to refuse the schema than misread every record).
 */
export function validateField(doc: FieldDoc, where: string): void {
  const { type, bits } = doc;
  const need = (p: "min" | "max" | "steps"): number => {
    const v = doc[p];
    if (typeof v !== "number" || !Number.isFinite(v)) throw new FieldError(`${where}: ${type} needs a finite ${p}`);
    return v;
  };
  if (!Number.isInteger(bits) || bits < 1 || bits > 32) throw new FieldError(`${where}: bits ${bits} is not in 1..=32`);
  switch (type) {
    case "angle":
      if (bits > 16) throw new FieldError(`${where}: angle bits ${bits} is more than 16`);
      return;
    case "flag":
      if (bits !== 1) throw new FieldError(`${where}: flag bits must be 1`);
      return;
    case "uint": {
      const max = need("max");
      if (!Number.isInteger(max) || max < 1 || bitsFor(max) !== bits) throw new FieldError(`${where}: uint max ${max} does not take ${bits} bits`);
      return;
    }
    case "int": {
      const min = need("min");
      const max = need("max");
      if (!Number.isInteger(min) || !Number.isInteger(max) || min >= max || bitsFor(max - min) !== bits) {
        throw new FieldError(`${where}: int ${min}..=${max} does not take ${bits} bits`);
      }
      return;
    }
    case "fixed": {
      const min = need("min");
      const max = need("max");
      const steps = need("steps");
      if (min >= max || !Number.isInteger(steps) || steps < 1 || bitsFor(steps) !== bits) {
        throw new FieldError(`${where}: fixed ${min}..=${max} in ${steps} steps does not take ${bits} bits`);
      }
      return;
    }
    case "velocity": {
      const max = need("max");
      if (!(max > 0) || bits < 2 || bits > 16) throw new FieldError(`${where}: velocity needs max > 0 and bits 2..=16`);
      return;
    }
    default:
      throw new FieldError(`${where}: unknown field type ${String(type)}`);
  }
}

/** Reads an LSB-first little-endian bit stream. */
export class BitReader {
  private bit = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
  ) {}

  /** Reads `n` ≤ 32 bits as an unsigned integer (no 32-bit shifts: they would go negative). */
  read(n: number): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < n; i++) {
      const pos = this.start + (this.bit >> 3);
      if (pos >= this.end) throw new FieldError("bit stream: truncated");
      v += ((this.bytes[pos]! >> (this.bit & 7)) & 1) * scale;
      scale *= 2;
      this.bit++;
    }
    return v;
  }
}

/** Writes an LSB-first little-endian bit stream, padded with zero bits to whole bytes. */
export class BitWriter {
  private readonly out: number[] = [];
  private bit = 0;

  write(value: number, n: number): void {
    let v = value;
    for (let i = 0; i < n; i++) {
      const idx = this.bit >> 3;
      if (idx === this.out.length) this.out.push(0);
      if (v % 2 === 1) this.out[idx]! |= 1 << (this.bit & 7);
      v = Math.floor(v / 2);
      this.bit++;
    }
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

function velocityM(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/** The decoded value of quantized `q` (PROTOCOL.md column "Decoded (client)"). */
export function dequantizeField(doc: FieldDoc, q: number): FieldValue {
  switch (doc.type) {
    case "angle":
      return f(q * f(TAU / 2 ** doc.bits));
    case "uint":
      return Math.min(q, doc.max!);
    case "int":
      return Math.min(doc.min! + q, doc.max!);
    case "flag":
      return q === 1;
    case "fixed": {
      const min = f(doc.min!);
      const stepSize = f(f(f(doc.max!) - min) / doc.steps!);
      return f(min + f(Math.min(q, doc.steps!) * stepSize));
    }
    case "velocity": {
      const m = velocityM(doc.bits);
      const mask = 2 ** doc.bits;
      const qx = q % mask;
      const qy = Math.floor(q / mask);
      const unit = f(f(doc.max!) / m);
      // `+ 0` turns -0 into 0: zero is exact (and compares equal to the fixtures' 0.0).
      return [f((qx - m) * unit) + 0, f((qy - m) * unit) + 0];
    }
  }
}

/** Rust's `f32::round`: halves away from zero (Math.round rounds -0.5 up to -0). */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Quantizes a value like the server does (PROTOCOL.md column "Quantized q (server)"). The SDK does
 * not need this to play; it is here for round-trip tests, bots and tools that build snapshots.
 *
 * @throws FieldError on a value of the wrong type for the field
 */
export function quantizeField(doc: FieldDoc, value: FieldValue): number {
  const num = (): number => {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new FieldError(`${doc.name}: expected a finite number`);
    return value;
  };
  switch (doc.type) {
    case "angle": {
      let a = f(num() % TAU);
      if (a < 0) a = f(a + TAU);
      const steps = 2 ** doc.bits;
      return roundHalfAway(f(f(a / TAU) * steps)) % steps;
    }
    case "uint":
      return Math.min(Math.max(0, Math.round(num())), doc.max!);
    case "int":
      return clamp(Math.round(num()), doc.min!, doc.max!) - doc.min!;
    case "flag":
      if (typeof value !== "boolean") throw new FieldError(`${doc.name}: expected a boolean`);
      return value ? 1 : 0;
    case "fixed": {
      const min = f(doc.min!);
      const max = f(doc.max!);
      const v = clamp(f(num()), min, max);
      return roundHalfAway(f(f(f(v - min) / f(max - min)) * doc.steps!));
    }
    case "velocity": {
      if (!Array.isArray(value) || value.length !== 2) throw new FieldError(`${doc.name}: expected [x, y]`);
      const m = velocityM(doc.bits);
      const max = f(doc.max!);
      const comp = (c: unknown): number => {
        if (typeof c !== "number" || !Number.isFinite(c)) throw new FieldError(`${doc.name}: expected finite components`);
        return roundHalfAway(f(clamp(f(f(c) / max), -1, 1) * m)) + m;
      };
      return comp(value[0]) + comp(value[1]) * 2 ** doc.bits;
    }
  }
}

/** Reads the fields of one record (or the private block) in declaration order. */
export function readFields(docs: readonly FieldDoc[], reader: BitReader): FieldValues {
  const out: Record<string, FieldValue> = {};
  for (const doc of docs) out[doc.name] = dequantizeField(doc, reader.read(fieldBits(doc)));
  return out;
}

/** Packs field values in declaration order (a missing value counts as the type's zero). */
export function writeFields(docs: readonly FieldDoc[], values: FieldValues, writer = new BitWriter()): BitWriter {
  for (const doc of docs) writer.write(quantizeField(doc, values[doc.name] ?? defaultValue(doc)), fieldBits(doc));
  return writer;
}

/** Bytes the packed fields take (padded to whole bytes). */
export function fieldBytes(docs: readonly FieldDoc[]): number {
  let bits = 0;
  for (const d of docs) bits += fieldBits(d);
  return Math.ceil(bits / 8);
}

/** The value a missing field takes: 0, false, `[0, 0]`, or `min` clamped to 0 for int/fixed. */
export function defaultValue(doc: FieldDoc): FieldValue {
  switch (doc.type) {
    case "flag":
      return false;
    case "velocity":
      return [0, 0];
    case "int":
    case "fixed":
      return clamp(0, doc.min!, doc.max!);
    default:
      return 0;
  }
}

/**
 * The wire form of one input field (PROTOCOL.md "Input fields on the wire"): angles and fixed as
 * f32 numbers (fixed clamped into `[min, max]`), uint/int as integers clamped into range, flags as
 * booleans, velocity as `[x, y]` clamped to `[-max, max]`. Clamping here keeps a slightly-off game
 * value from making the server reject the whole input (`out_of_range`).
 *
 * @throws RangeError on a value of the wrong type or a non-finite number (a bug in the game code)
 */
export function encodeInputField(doc: FieldDoc, value: InputValue | undefined): InputValue {
  const v = value ?? (defaultValue(doc) as InputValue);
  const num = (x: unknown): number => {
    if (typeof x !== "number" || !Number.isFinite(x)) throw new RangeError(`input field ${doc.name}: expected a finite number, got ${String(x)}`);
    return x;
  };
  switch (doc.type) {
    case "angle":
      return f(num(v)) + 0;
    case "fixed":
      return clamp(f(num(v)), f(doc.min!), f(doc.max!)) + 0;
    case "uint":
      return clamp(Math.round(num(v)), 0, doc.max!);
    case "int":
      return clamp(Math.round(num(v)), doc.min!, doc.max!);
    case "flag":
      if (typeof v === "boolean") return v;
      if (v === 0 || v === 1) return v === 1;
      throw new RangeError(`input field ${doc.name}: expected a boolean`);
    case "velocity": {
      if (!Array.isArray(v) || v.length !== 2) throw new RangeError(`input field ${doc.name}: expected [x, y]`);
      const max = f(doc.max!);
      return [clamp(f(num(v[0])), -max, max) + 0, clamp(f(num(v[1])), -max, max) + 0];
    }
  }
}
