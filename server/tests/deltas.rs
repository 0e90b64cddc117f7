//! Delta snapshots in a room stepped tick by tick: clients that acknowledge get deltas against
//! their newest acknowledged snapshot and reconstruct what a full snapshot says; clients that
//! never acknowledge get full snapshots as before; one delta is encoded per baseline.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::Ordering::Relaxed;

use tickstate_server::game::star_collector;
use tickstate_shared::InputMsg;
use tickstate_shared::delta::HISTORY;
use tickstate_shared::snapshot::{EntityRecord, Snapshot};
use tickstate_testkit::{RecordingLink, RoomDriver};

fn sorted(s: &Snapshot) -> Vec<EntityRecord> {
    let mut e = s.entities.clone();
    e.sort_by_key(|r| r.head.id);
    e
}

fn ack_last(d: &mut RoomDriver, conn: tickstate_server::room::ConnId, link: &RecordingLink) {
    if let Some(s) = link.last_snapshot() {
        d.snapshot_ack(conn, s.tick);
    }
}

#[test]
fn acking_clients_get_deltas_that_rebuild_the_full_snapshots() {
    let mut d = RoomDriver::new(&star_collector(), Default::default(), 7).unwrap();
    let (a, la, wa) = d.join("Ada").unwrap();
    let (b, lb, _) = d.join("Bob").unwrap();
    let (c, lc, _) = d.join("Cy").unwrap();
    assert_eq!(wa.deltas, HISTORY as u32, "welcome announces deltas");
    let mut seq = 0;
    for t in 0..240u32 {
        seq += 1;
        // Ada and Bob move in circles; Cy stands still.
        let ang = t as f32 * 0.05;
        d.input(a, InputMsg::new(seq, ang.cos(), ang.sin(), 0));
        d.input(b, InputMsg::new(seq, -ang.sin(), ang.cos(), 0));
        d.input(c, InputMsg::new(seq, 0.0, 0.0, 0));
        d.tick();
        ack_last(&mut d, a, &la);
        // Bob acks only every third snapshot: it is often on an older baseline than Ada.
        if t % 6 == 0 {
            ack_last(&mut d, b, &lb);
        }
    }
    let (ra, rb, rc) = (la.record(), lb.record(), lc.record());
    assert_eq!(rc.deltas, 0, "a client that never acks gets full snapshots only");
    assert!(
        ra.deltas > ra.snapshots.len() * 9 / 10,
        "{} of {}",
        ra.deltas,
        ra.snapshots.len()
    );
    assert!(
        rb.deltas > rb.snapshots.len() * 8 / 10,
        "{} of {}",
        rb.deltas,
        rb.snapshots.len()
    );
    // Same ticks, same entities: what the deltas rebuilt is what the full snapshots say.
    assert_eq!(ra.snapshots.len(), rc.snapshots.len());
    for ((sa, sb), sc) in ra.snapshots.iter().zip(&rb.snapshots).zip(&rc.snapshots) {
        assert_eq!((sa.tick, sb.tick), (sc.tick, sc.tick));
        assert_eq!(sorted(sa), sorted(sc), "tick {}", sc.tick);
        assert_eq!(sorted(sb), sorted(sc), "tick {}", sc.tick);
    }
    let tail = |sizes: &[usize]| sizes[sizes.len() - 30..].iter().sum::<usize>();
    assert!(
        tail(&ra.sizes) * 2 < tail(&rc.sizes),
        "deltas {} bytes vs full {} bytes over 30 snapshots",
        tail(&ra.sizes),
        tail(&rc.sizes)
    );
}

#[test]
fn one_encode_per_baseline_and_a_keyframe_when_the_ack_is_too_old() {
    let mut d = RoomDriver::new(&star_collector(), Default::default(), 7).unwrap();
    let (a, la, _) = d.join("Ada").unwrap();
    let (b, lb, _) = d.join("Bob").unwrap();
    let gauges = d.room().gauges();
    d.ticks(4);
    // Both acknowledge the same snapshot: the next one is one shared delta.
    let t = la.last_snapshot().unwrap().tick;
    d.snapshot_ack(a, t);
    d.snapshot_ack(b, t);
    let before = la.snapshot_count();
    while la.snapshot_count() == before {
        d.tick();
    }
    assert_eq!(gauges.snapshot_encodes.load(Relaxed), 1, "one delta shared by both");
    assert_eq!((la.record().deltas, lb.record().deltas), (1, 1));
    // An ack for a snapshot never sent is ignored and counted.
    d.snapshot_ack(a, 999_999);
    assert_eq!(gauges.snapshot_acks_ignored.load(Relaxed), 1);
    // Ada stops acking: once her baseline leaves the history she gets keyframes, Bob deltas.
    for _ in 0..(HISTORY as u32 + 4) * 2 {
        d.tick();
        ack_last(&mut d, b, &lb);
    }
    let deltas_a = la.record().deltas;
    let before = la.snapshot_count();
    while la.snapshot_count() == before {
        d.tick();
    }
    assert_eq!(la.record().deltas, deltas_a, "a stale baseline gives a keyframe");
    assert_eq!(
        gauges.snapshot_encodes.load(Relaxed),
        2,
        "the full block and Bob's delta"
    );
    assert!(gauges.baseline_bytes.load(Relaxed) > 0);
}

#[test]
fn a_resumed_connection_starts_with_a_keyframe() {
    let mut d = RoomDriver::new(&star_collector(), Default::default(), 7).unwrap();
    let (a, la, w) = d.join("Ada").unwrap();
    for _ in 0..8 {
        d.tick();
        ack_last(&mut d, a, &la);
    }
    assert!(la.record().deltas > 0);
    d.control(tickstate_server::room::Control::Leave {
        conn: a,
        reason: tickstate_shared::LeaveReason::Disconnect,
        hold: true,
    });
    let (a2, la2, _) = d.resume(&w.token).unwrap();
    // The old connection's acks no longer count; the new one gets a keyframe first.
    d.snapshot_ack(a, la.last_snapshot().unwrap().tick);
    d.ticks(3);
    let r = la2.record();
    assert!(!r.snapshots.is_empty());
    assert_eq!(r.deltas, 0, "no deltas before the new connection acks");
    drop(r);
    ack_last(&mut d, a2, &la2);
    d.ticks(3);
    assert!(la2.record().deltas > 0);
}
