import Phaser from "phaser";
import type { Vec2 } from "tickstate-sdk";

/** What the player asks for in one Arena input tick. */
export interface ArenaIntent {
  readonly dx: number;
  readonly dy: number;
  /** Where the mouse is, in world units (null before it first moved over the field). */
  readonly pointer: Vec2 | null;
  /** Blaster trigger: left button held (or clicked since the last tick). */
  readonly fire: boolean;
  /** Rail: right button or Space held (or pressed since the last tick). */
  readonly rail: boolean;
}

/**
 * Arena's controls: WASD or the arrows fly, the mouse aims, the left button (held) fires the
 * blaster, the right button or Space fires the rail, Tab (held) shows the scoreboard, Enter opens
 * the chat box. A click or a key press shorter than one input tick still counts once (latched).
 * While the chat box is open ({@link ArenaControls.suspend}) the game reads no keys and lets the
 * page have them.
 */
export class ArenaControls {
  private readonly scene: Phaser.Scene;
  private readonly keys: Record<
    "up" | "down" | "left" | "right" | "w" | "a" | "s" | "d" | "space" | "tab",
    Phaser.Input.Keyboard.Key
  > | null;
  private fireLatch = false;
  private railLatch = false;
  private suspended = false;

  constructor(scene: Phaser.Scene, onChat: () => void) {
    this.scene = scene;
    const kb = scene.input.keyboard;
    const K = Phaser.Input.Keyboard.KeyCodes;
    this.keys = kb
      ? (kb.addKeys(
          { up: K.UP, down: K.DOWN, left: K.LEFT, right: K.RIGHT, w: K.W, a: K.A, s: K.S, d: K.D, space: K.SPACE, tab: K.TAB },
          true,
        ) as ArenaControls["keys"])
      : null;
    kb?.on("keydown-SPACE", () => {
      if (!this.suspended) this.railLatch = true;
    });
    kb?.on("keydown-ENTER", () => {
      if (!this.suspended) onChat();
    });
    scene.input.mouse?.disableContextMenu();
    scene.input.on(Phaser.Input.Events.POINTER_DOWN, (p: Phaser.Input.Pointer) => {
      if (p.rightButtonDown()) this.railLatch = true;
      else if (p.leftButtonDown()) this.fireLatch = true;
    });
    // A key released while the window is not focused would otherwise stay "down".
    const release = () => scene.input.keyboard?.resetKeys();
    scene.game.events.on(Phaser.Core.Events.BLUR, release);
    scene.events.once(Phaser.Scenes.Events.SHUTDOWN, () => {
      scene.game.events.off(Phaser.Core.Events.BLUR, release);
      scene.input.keyboard?.clearCaptures(); // the menu's text fields need Space and the letters
    });
  }

  /** The chat box has the keyboard: read no keys, capture none (the letters go to the box). */
  suspend(on: boolean): void {
    this.suspended = on;
    const kb = this.scene.input.keyboard;
    if (!kb) return;
    kb.resetKeys();
    kb.enabled = !on;
    if (on) kb.disableGlobalCapture();
    else kb.enableGlobalCapture();
  }

  /** Tab is held. */
  get scoreboardHeld(): boolean {
    return !this.suspended && (this.keys?.tab.isDown ?? false);
  }

  /** Reads the controls for one input tick (and clears the latches). */
  sample(): ArenaIntent {
    const k = this.keys;
    let dx = 0;
    let dy = 0;
    let railKey = false;
    if (k && !this.suspended) {
      dx = (k.right.isDown || k.d.isDown ? 1 : 0) - (k.left.isDown || k.a.isDown ? 1 : 0);
      dy = (k.down.isDown || k.s.isDown ? 1 : 0) - (k.up.isDown || k.w.isDown ? 1 : 0);
      railKey = k.space.isDown;
    }
    const m = this.scene.input.mousePointer;
    const cam = this.scene.cameras.main;
    let pointer: Vec2 | null = null;
    if (m && (m.x !== 0 || m.y !== 0 || m.isDown)) {
      const p = m.positionToCamera(cam) as Phaser.Math.Vector2;
      pointer = { x: p.x, y: p.y };
    }
    const fire = this.fireLatch || (m?.leftButtonDown() ?? false);
    const rail = this.railLatch || railKey || (m?.rightButtonDown() ?? false);
    this.fireLatch = false;
    this.railLatch = false;
    return { dx, dy, pointer, fire, rail };
  }
}
