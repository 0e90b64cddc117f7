import Phaser from "phaser";
import { Buttons, IDLE, type InputSample, type Vec2 } from "tickstate-sdk";

/**
 * Reads the player's controls once per input tick: arrow keys and WASD, Space for the action button,
 * and a held pointer (mouse or finger) that steers the ship toward it, slowing down near it.
 * Only directions leave this class: the client never sends positions.
 */
export class Controls {
  private readonly keys: Record<"up" | "down" | "left" | "right" | "w" | "a" | "s" | "d" | "space", Phaser.Input.Keyboard.Key> | null;
  private readonly scene: Phaser.Scene;
  private readonly radius: () => number;

  constructor(scene: Phaser.Scene, radius: () => number) {
    this.scene = scene;
    this.radius = radius;
    const kb = scene.input.keyboard;
    const K = Phaser.Input.Keyboard.KeyCodes;
    this.keys = kb
      ? (kb.addKeys(
          { up: K.UP, down: K.DOWN, left: K.LEFT, right: K.RIGHT, w: K.W, a: K.A, s: K.S, d: K.D, space: K.SPACE },
          true,
        ) as Controls["keys"])
      : null;
    // A key released while the window is not focused would otherwise stay "down".
    scene.game.events.on(Phaser.Core.Events.BLUR, this.release, this);
    scene.events.once(Phaser.Scenes.Events.SHUTDOWN, () => {
      scene.game.events.off(Phaser.Core.Events.BLUR, this.release, this);
      // Give Space and the arrows back to the page (the menu's text field needs Space).
      scene.input.keyboard?.clearCaptures();
    });
  }

  sample(own: Vec2 | null): InputSample {
    const k = this.keys;
    let buttons = 0;
    if (k) {
      const dx = (k.right.isDown || k.d.isDown ? 1 : 0) - (k.left.isDown || k.a.isDown ? 1 : 0);
      const dy = (k.down.isDown || k.s.isDown ? 1 : 0) - (k.up.isDown || k.w.isDown ? 1 : 0);
      if (k.space.isDown) buttons |= Buttons.action;
      if (dx !== 0 || dy !== 0) return { dx, dy, buttons }; // the session clamps diagonals to length 1
    }
    const pointer = this.activePointer();
    if (pointer && own) {
      const p = pointer.positionToCamera(this.scene.cameras.main) as Phaser.Math.Vector2;
      const vx = p.x - own.x;
      const vy = p.y - own.y;
      const dist = Math.hypot(vx, vy);
      const r = this.radius();
      if (dist > r * 0.4) {
        // Full speed from three radii away, proportionally slower closer in: no overshoot jitter.
        const speed = Math.min(1, dist / (r * 3));
        return { dx: (vx / dist) * speed, dy: (vy / dist) * speed, buttons };
      }
    }
    return buttons ? { ...IDLE, buttons } : IDLE;
  }

  private activePointer(): Phaser.Input.Pointer | null {
    const input = this.scene.input;
    for (const p of [input.mousePointer, ...input.manager.pointers]) {
      if (p && p.isDown) return p;
    }
    return null;
  }

  private release(): void {
    this.scene.input.keyboard?.resetKeys();
  }
}
