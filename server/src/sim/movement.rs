//! Movement validation and the movement step.
//!
//! The step is the normative one from `PROTOCOL.md` ("Movement step"): clients run the very same
//! arithmetic (in 32-bit floats) to predict their own ship, so any change here is a protocol change.

use glam::Vec2;

use super::world::Rect;

/// Movement constants of a room.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MoveParams {
    /// Units per second at full input.
    pub max_speed: f32,
    /// Half-size of a player's square collision box.
    pub radius: f32,
    /// Seconds per tick.
    pub dt: f32,
}

impl MoveParams {
    /// The longest distance one input can move an entity.
    pub fn max_step(&self) -> f32 {
        self.max_speed * self.dt
    }
}

/// Why an input direction was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// `dx` or `dy` is NaN or infinite.
    #[error("direction is not a finite number")]
    NonFinite,
}

/// Validates a direction from the network: rejects NaN/±Inf and clamps the vector to the unit disc.
///
/// Huge finite values such as `f32::MAX` keep their direction (the vector is scaled down before its
/// length is taken, so the length cannot overflow).
///
/// # Errors
/// [`InputError::NonFinite`] when either component is NaN or infinite.
pub fn validate_direction(dx: f32, dy: f32) -> Result<Vec2, InputError> {
    if !dx.is_finite() || !dy.is_finite() {
        return Err(InputError::NonFinite);
    }
    let mut d = Vec2::new(dx, dy);
    let m = dx.abs().max(dy.abs());
    if m > 1.0 {
        d /= m;
    }
    let len = d.length();
    if len > 1.0 {
        d /= len;
    }
    Ok(d)
}

/// Clamps a position so that a box of half-size `r` stays inside a world of `size`.
pub fn clamp_to_world(p: Vec2, r: f32, size: Vec2) -> Vec2 {
    let r = r.min(size.x / 2.0).min(size.y / 2.0);
    Vec2::new(p.x.clamp(r, size.x - r), p.y.clamp(r, size.y - r))
}

/// How far (in world units) a box may already be inside a wall and still be treated as touching it
/// from outside. Positions are f32 and snapshots are quantized, so a box resting against a wall can
/// sit a hair inside it (a client replaying from a snapshot position, or f32 rounding on the
/// server); this keeps such a box from being treated as past the wall. 0.05 is more than the
/// quantization error for worlds up to 6,500 units wide.
pub const CONTACT_EPSILON: f32 = 0.05;

/// Moves `pos` one step in the (validated) direction `dir`, stopping at walls and world edges.
///
/// Each axis is swept separately, x first: the target is clamped into the world, then cut short at
/// the first wall *ahead* of the box (one it overlaps on the other axis and had not yet crossed).
/// Because it is a sweep, a long step cannot tunnel through a thin wall, and a box that is a hair
/// inside a wall is never pushed out through the far side. The box never moves backwards.
pub fn step(pos: Vec2, dir: Vec2, params: &MoveParams, size: Vec2, walls: &[Rect]) -> Vec2 {
    let r = params.radius;
    let rc = r.min(size.x / 2.0).min(size.y / 2.0);
    let v = dir * params.max_speed * params.dt;
    let x = sweep(
        pos.x,
        v.x,
        r,
        (rc, size.x - rc),
        walls
            .iter()
            .filter(|w| pos.y + r > w.y && pos.y - r < w.y + w.h)
            .map(|w| (w.x, w.x + w.w)),
    );
    let y = sweep(
        pos.y,
        v.y,
        r,
        (rc, size.y - rc),
        walls
            .iter()
            .filter(|w| x + r > w.x && x - r < w.x + w.w)
            .map(|w| (w.y, w.y + w.h)),
    );
    Vec2::new(x, y)
}

/// One axis of [`step`]: from `p` by `d`, inside `bounds`, stopped by the `(lo, hi)` extents of
/// the walls that overlap the box on the other axis.
fn sweep(p: f32, d: f32, r: f32, bounds: (f32, f32), walls: impl Iterator<Item = (f32, f32)>) -> f32 {
    let mut to = (p + d).clamp(bounds.0, bounds.1);
    if d > 0.0 {
        for (lo, _) in walls {
            if p + r <= lo + CONTACT_EPSILON && to + r > lo {
                to = (lo - r).max(p);
            }
        }
    } else if d < 0.0 {
        for (_, hi) in walls {
            if p - r >= hi - CONTACT_EPSILON && to - r < hi {
                to = (hi + r).min(p);
            }
        }
    }
    to
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const P: MoveParams = MoveParams {
        max_speed: 240.0,
        radius: 10.0,
        dt: 1.0 / 60.0,
    };
    const SIZE: Vec2 = Vec2::new(400.0, 300.0);

    #[test]
    fn non_finite_directions_are_rejected() {
        for (x, y) in [(f32::NAN, 0.0), (0.0, f32::INFINITY), (f32::NEG_INFINITY, 1.0)] {
            assert_eq!(validate_direction(x, y), Err(InputError::NonFinite));
        }
    }

    #[test]
    fn oversize_directions_are_clamped_to_the_unit_disc() {
        let d = validate_direction(1000.0, 1000.0).unwrap();
        assert!((d.length() - 1.0).abs() < 1e-6);
        assert!((d.x - d.y).abs() < 1e-6, "direction should be kept");
        let d = validate_direction(f32::MAX, -f32::MAX).unwrap();
        assert!(
            (d.length() - 1.0).abs() < 1e-6,
            "f32::MAX should not overflow the length"
        );
        assert!(d.x > 0.0 && d.y < 0.0);
        let d = validate_direction(0.3, 0.4).unwrap();
        assert_eq!(d, Vec2::new(0.3, 0.4), "short vectors are kept as they are");
        let d = validate_direction(1e-40, -1e-42).unwrap();
        assert!(d.is_finite(), "subnormals are fine");
    }

    #[test]
    fn a_step_never_exceeds_max_speed() {
        let start = Vec2::new(200.0, 150.0);
        for (x, y) in [(1.0, 0.0), (1.0, 1.0), (-0.2, 0.9), (1e30, -1e30)] {
            let d = validate_direction(x, y).unwrap();
            let p = step(start, d, &P, SIZE, &[]);
            assert!(
                (p - start).length() <= P.max_step() + 1e-4,
                "moved {} for ({x},{y})",
                (p - start).length()
            );
        }
    }

    #[test]
    fn bounds_hold_when_pushing_into_every_edge_and_corner() {
        for dir in [
            (1.0, 0.0),
            (-1.0, 0.0),
            (0.0, 1.0),
            (0.0, -1.0),
            (1.0, 1.0),
            (-1.0, -1.0),
            (1.0, -1.0),
            (-1.0, 1.0),
        ] {
            let d = validate_direction(dir.0, dir.1).unwrap();
            let mut p = Vec2::new(200.0, 150.0);
            for _ in 0..200 {
                p = step(p, d, &P, SIZE, &[]);
                assert!(
                    p.x >= 10.0 && p.x <= 390.0 && p.y >= 10.0 && p.y <= 290.0,
                    "{p} out of bounds"
                );
            }
            if dir.0 > 0.0 {
                assert_eq!(p.x, 390.0);
            }
            if dir.1 < 0.0 {
                assert_eq!(p.y, 10.0);
            }
        }
    }

    #[test]
    fn walls_stop_movement_on_each_side() {
        let wall = [Rect::new(100.0, 100.0, 50.0, 50.0)];
        // From the left, moving right.
        let mut p = Vec2::new(60.0, 125.0);
        for _ in 0..60 {
            p = step(p, Vec2::X, &P, SIZE, &wall);
        }
        assert_eq!(p.x, 90.0, "should stop flush with the wall's left side");
        // From below, moving up.
        let mut p = Vec2::new(125.0, 200.0);
        for _ in 0..60 {
            p = step(p, Vec2::NEG_Y, &P, SIZE, &wall);
        }
        assert_eq!(p.y, 160.0);
        // Sliding along the wall diagonally keeps the free axis moving.
        // (The box rests at y = 160, touching the wall's underside at 150 + 10.)
        let d = validate_direction(1.0, -1.0).unwrap();
        let p2 = step(Vec2::new(125.0, 160.0), d, &P, SIZE, &wall);
        assert_eq!(p2.y, 160.0);
        assert!(p2.x > 125.0);
    }

    #[test]
    fn a_long_step_does_not_tunnel_through_a_thin_wall() {
        let fast = MoveParams {
            max_speed: 6000.0,
            radius: 2.0,
            dt: 1.0 / 60.0,
        };
        let wall = [Rect::new(100.0, 0.0, 1.0, 300.0)];
        let p = step(Vec2::new(50.0, 150.0), Vec2::X, &fast, SIZE, &wall);
        assert_eq!(p.x, 98.0, "a 100-unit step stops at the wall");
    }

    #[test]
    fn a_box_a_hair_inside_a_wall_is_not_thrown_through_it() {
        // Resting under a wall whose bottom edge is not exact in f32, then stepping sideways.
        let wall = [Rect::new(100.0, 200.0, 400.0, 40.3)];
        let resting = Vec2::new(300.0, 240.3 + 10.0 - 1e-4);
        let p = step(resting, Vec2::NEG_X, &P, Vec2::new(1000.0, 1000.0), &wall);
        assert!(
            (p - resting).length() <= P.max_step() + 1e-3,
            "moved from {resting} to {p}"
        );
    }

    #[test]
    fn the_world_edge_does_not_push_a_box_into_a_wall() {
        let wall = [Rect::new(15.0, 100.0, 40.0, 200.0)];
        let mut p = Vec2::new(10.0, 80.0);
        for _ in 0..40 {
            let next = step(p, validate_direction(-1.0, 1.0).unwrap(), &P, SIZE, &wall);
            assert!(
                !wall[0].overlaps_box(next, 10.0 - 1e-3),
                "{p} -> {next} entered the wall"
            );
            assert!((next - p).length() <= P.max_step() + 1e-3);
            p = next;
        }
    }

    #[test]
    fn zero_direction_does_not_move() {
        let p = Vec2::new(50.0, 50.0);
        assert_eq!(step(p, Vec2::ZERO, &P, SIZE, &[]), p);
    }
}
