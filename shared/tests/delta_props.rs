//! Delta snapshots over random worlds and random losses: a client that applies every delta it
//! receives always holds exactly the server's quantized state, and hostile delta bytes give an
//! error, never a panic.
//!
//! A seeded deterministic random loop (no extra dependency): every case is reproducible from its
//! number, printed on failure.
#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::{BTreeMap, VecDeque};

use tickstate_shared::codec::{DecodeError, SharedBlock, decode_snapshot, encode_delta_snapshot_into, encode_snapshot};
use tickstate_shared::delta::{Baseline, HISTORY, History, encode_delta};
use tickstate_shared::receiver::SnapshotReceiver;
use tickstate_shared::schema::{BitWriter, FieldDef, FieldType, KindDef, SchemaDoc};
use tickstate_shared::snapshot::{RecordHead, RecordLayout};

/// xorshift64*: small, deterministic, good enough for test data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

fn random_schema(rng: &mut Rng) -> SchemaDoc {
    let types = [
        FieldType::Angle { bits: 8 },
        FieldType::Angle { bits: 16 },
        FieldType::Uint { max: 100 },
        FieldType::Uint { max: u32::MAX },
        FieldType::Int { min: -3, max: 3 },
        FieldType::Flag,
        FieldType::fixed(0.0, 1.0, 0.01),
        FieldType::Velocity { max: 900.0, bits: 12 },
        FieldType::Velocity { max: 1.0, bits: 16 },
    ];
    let kinds = (1..=1 + rng.below(4) as u8)
        .map(|id| KindDef {
            id,
            name: format!("k{id}"),
            fields: (0..rng.below(6))
                .map(|i| FieldDef {
                    name: format!("f{i}"),
                    ty: types[rng.below(types.len() as u64) as usize],
                })
                .collect(),
        })
        .collect();
    SchemaDoc {
        kinds,
        ..SchemaDoc::default()
    }
}

#[derive(Clone)]
struct Ent {
    kind: u8,
    away: bool,
    x: u16,
    y: u16,
    q: Vec<u64>,
}

fn random_q(rng: &mut Rng, fields: &[FieldDef]) -> Vec<u64> {
    fields
        .iter()
        .map(|f| {
            let bits = f.ty.bits();
            let v = rng.next();
            if bits == 64 { v } else { v & ((1 << bits) - 1) }
        })
        .collect()
}

fn record(id: u16, e: &Ent, schema: &SchemaDoc, out: &mut Vec<u8>) {
    RecordHead {
        id,
        kind: e.kind,
        away: e.away,
        x: e.x,
        y: e.y,
    }
    .write(out);
    let fields = &schema.kind(e.kind).unwrap().fields;
    let mut w = BitWriter::new(out);
    for (f, q) in fields.iter().zip(&e.q) {
        w.write(*q, f.ty.bits());
    }
    w.finish();
}

fn evolve(rng: &mut Rng, world: &mut BTreeMap<u16, Ent>, schema: &SchemaDoc, next_id: &mut u16) {
    let calm = rng.chance(0.3);
    let ids: Vec<u16> = world.keys().copied().collect();
    for id in ids {
        if rng.chance(0.03) {
            world.remove(&id);
            continue;
        }
        let e = world.get_mut(&id).unwrap();
        if calm || rng.chance(0.4) {
            continue; // unchanged
        }
        let step = [3i32, 40, 300, 3000, 65535][rng.below(5) as usize];
        let mv = |rng: &mut Rng, c: u16| {
            (i32::from(c) + rng.below(2 * step as u64 + 1) as i32 - step).clamp(0, 65535) as u16
        };
        if rng.chance(0.7) {
            e.x = mv(rng, e.x);
            e.y = mv(rng, e.y);
        }
        if rng.chance(0.05) {
            e.away = !e.away;
        }
        let fields = &schema.kind(e.kind).unwrap().fields;
        let fresh = random_q(rng, fields);
        for (q, f) in e.q.iter_mut().zip(fresh) {
            if rng.chance(0.3) {
                *q = f;
            }
        }
        if rng.chance(0.01) {
            // Same id, another kind: sent as removed plus new.
            let kind = 1 + rng.below(schema.kinds.len() as u64) as u8;
            e.kind = kind;
            e.q = random_q(rng, &schema.kind(kind).unwrap().fields);
        }
    }
    for _ in 0..rng.below(4) {
        if rng.chance(0.5) {
            let kind = 1 + rng.below(schema.kinds.len() as u64) as u8;
            let q = random_q(rng, &schema.kind(kind).unwrap().fields);
            let id = if rng.chance(0.1) {
                rng.below(u64::from(*next_id)) as u16 // an old id, maybe reused
            } else {
                *next_id = next_id.wrapping_add(1);
                *next_id
            };
            world.entry(id).or_insert(Ent {
                kind,
                away: false,
                x: rng.next() as u16,
                y: rng.next() as u16,
                q,
            });
        }
    }
}

/// The raw block in a shuffled order (the server writes records in its storage order).
fn block(rng: &mut Rng, world: &BTreeMap<u16, Ent>, schema: &SchemaDoc) -> Vec<u8> {
    let mut order: Vec<(&u16, &Ent)> = world.iter().collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut out = Vec::new();
    for (id, e) in order {
        record(*id, e, schema, &mut out);
    }
    out
}

/// The server side for one client: its baselines, what it sent, what the client acknowledged.
struct Server {
    history: History,
    sent: VecDeque<u32>,
    acked: Option<u32>,
}

impl Server {
    fn document(&mut self, cur: &Baseline, raw: &[u8], layout: &RecordLayout) -> (Vec<u8>, bool) {
        let mut shared = SharedBlock::default();
        let base = self.acked.and_then(|t| self.history.get(t));
        let doc = match base {
            Some(b) => {
                let mut delta = Vec::new();
                encode_delta(b, cur, layout, &mut delta);
                shared.set(&delta, &[]);
                let mut doc = Vec::new();
                encode_delta_snapshot_into(&mut doc, cur.tick, 0, b.tick, &shared, None, None);
                (doc, true)
            }
            None => {
                shared.set(raw, &[]);
                (encode_snapshot(cur.tick, 0, &shared, None, None), false)
            }
        };
        if self.sent.len() >= HISTORY {
            self.sent.pop_front();
        }
        self.sent.push_back(cur.tick);
        doc
    }

    fn ack(&mut self, tick: u32) {
        if self.sent.contains(&tick) && self.acked.is_none_or(|a| tick > a) {
            self.acked = Some(tick);
        }
    }
}

fn run_case(case: u64) -> (u64, u64) {
    let mut rng = Rng::new(case);
    let schema = random_schema(&mut rng);
    let layout = RecordLayout::new(&schema);
    let mut world = BTreeMap::new();
    let mut next_id = 0u16;
    for _ in 0..rng.below(60) {
        evolve(&mut rng, &mut world, &schema, &mut next_id);
    }
    let mut server = Server {
        history: History::default(),
        sent: VecDeque::new(),
        acked: None,
    };
    let mut client = SnapshotReceiver::new(layout.clone());
    // Drop pattern: a loss rate, bursts (some longer than the history) and delayed acks.
    let loss = [0.0, 0.1, 0.5, 0.9][rng.below(4) as usize];
    let ack_loss = [0.0, 0.2, 0.7][rng.below(3) as usize];
    let mut acks_in_flight: VecDeque<(u32, u32)> = VecDeque::new();
    let mut burst = 0u32;
    let (mut deltas, mut keyframes) = (0, 0);
    for tick in 1..=150u32 {
        evolve(&mut rng, &mut world, &schema, &mut next_id);
        let raw = block(&mut rng, &world, &schema);
        let cur = Baseline::from_block(tick, &raw, &layout).unwrap();
        let (doc, is_delta) = server.document(&cur, &raw, &layout);
        server.history.push(cur.clone());
        if is_delta {
            deltas += 1;
        } else {
            keyframes += 1;
        }
        while acks_in_flight.front().is_some_and(|(due, _)| *due <= tick) {
            let (_, t) = acks_in_flight.pop_front().unwrap();
            server.ack(t);
        }
        if burst == 0 && rng.chance(0.02) {
            burst = rng.below(2 * HISTORY as u64) as u32;
        }
        if burst > 0 {
            burst -= 1;
            continue;
        }
        if rng.chance(loss) {
            continue;
        }
        let snap = client
            .receive(&doc)
            .unwrap_or_else(|e| panic!("case {case} tick {tick}: {e}"));
        assert_eq!(snap.tick, tick);
        let got = client.latest().unwrap();
        assert_eq!(got.block(), cur.block(), "case {case} tick {tick}: state differs");
        let mut want = cur.entities(&layout).unwrap();
        let mut have = snap.entities.clone();
        want.sort_by_key(|e| e.head.id);
        have.sort_by_key(|e| e.head.id);
        assert_eq!(have, want, "case {case} tick {tick}");
        if !rng.chance(ack_loss) {
            acks_in_flight.push_back((tick + rng.below(6) as u32, tick));
        }
    }
    (deltas, keyframes)
}

#[test]
fn a_client_that_applies_every_delta_it_gets_holds_the_servers_state() {
    let (mut deltas, mut keyframes) = (0, 0);
    for case in 0..400 {
        let (d, k) = run_case(case);
        deltas += d;
        keyframes += k;
    }
    assert!(deltas > 2 * keyframes, "{deltas} deltas, {keyframes} keyframes");
}

#[test]
fn unchanged_entities_cost_one_bit_and_a_quiet_world_a_few_bytes() {
    let schema = SchemaDoc {
        kinds: vec![KindDef {
            id: 1,
            name: "star".into(),
            fields: vec![],
        }],
        ..SchemaDoc::default()
    };
    let layout = RecordLayout::new(&schema);
    let mut raw = Vec::new();
    for id in 0..200u16 {
        RecordHead {
            id,
            kind: 1,
            away: false,
            x: id,
            y: id,
        }
        .write(&mut raw);
    }
    let a = Baseline::from_block(1, &raw, &layout).unwrap();
    let b = Baseline::from_block(2, &raw, &layout).unwrap();
    let mut delta = Vec::new();
    encode_delta(&a, &b, &layout, &mut delta);
    assert_eq!(delta, vec![0; 25], "200 unchanged entities: 200 zero bits");
}

#[test]
fn a_delta_needs_its_baseline() {
    let layout = RecordLayout::new(&SchemaDoc::default());
    let mut doc = Vec::new();
    encode_delta_snapshot_into(&mut doc, 10, 0, 9, &SharedBlock::default(), None, None);
    assert_eq!(doc, [0x97, 10, 0, 0xc4, 0, 0xc0, 0xc0, 0xc0, 9]);
    assert_eq!(decode_snapshot(&doc, &layout), Err(DecodeError::NoBaseline(9)));
    let mut rx = SnapshotReceiver::new(layout);
    assert_eq!(rx.receive(&doc), Err(DecodeError::NoBaseline(9)));
}

#[test]
fn hostile_deltas_are_errors_not_panics() {
    for case in 0..300u64 {
        let mut rng = Rng::new(case + 10_000);
        let schema = random_schema(&mut rng);
        let layout = RecordLayout::new(&schema);
        let mut world = BTreeMap::new();
        let mut next_id = 0u16;
        for _ in 0..20 {
            evolve(&mut rng, &mut world, &schema, &mut next_id);
        }
        let raw = block(&mut rng, &world, &schema);
        let base = Baseline::from_block(1, &raw, &layout).unwrap();
        evolve(&mut rng, &mut world, &schema, &mut next_id);
        let cur = Baseline::from_block(2, &block(&mut rng, &world, &schema), &layout).unwrap();
        let mut delta = Vec::new();
        encode_delta(&base, &cur, &layout, &mut delta);
        for _ in 0..20 {
            let mut bad = delta.clone();
            match rng.below(3) {
                0 if !bad.is_empty() => {
                    let i = rng.below(bad.len() as u64) as usize;
                    bad[i] ^= 1 << rng.below(8);
                }
                1 => bad.truncate(rng.below(bad.len() as u64 + 1) as usize),
                _ => bad.extend((0..rng.below(16)).map(|_| rng.next() as u8)),
            }
            // Either an error or some state; never a panic, and never more than base + block.
            if let Ok(s) = tickstate_shared::delta::apply_delta(&base, 2, &bad, &layout) {
                assert!(s.block().len() <= base.block().len() + bad.len());
            }
        }
    }
}
