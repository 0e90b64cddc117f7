import Phaser from "phaser";
import {
  GameSession,
  schemaDifferences,
  SessionStore,
  type DrawnEntity,
  type Frame,
  type NetStats,
  type Welcome,
  type World,
} from "tickstate-sdk";
import {
  EXPECTED_SCHEMA,
  GAME,
  isStar,
  NO_SCORES,
  STATIC_KINDS,
  teamOf,
  type Scores,
} from "../../games/star-collector";
import { sceneFor } from "../../games";
import { Controls } from "../controls";
import { publishDebug, screenMapper } from "../debug-hook";
import { handOver, openConnection, type GameConnection } from "../net";
import { Colors, DEFAULT_WORLD, FONT, HUD_HEIGHT, shipTexture, sparkTexture, Tex } from "../theme";
import type { HudModel } from "./Hud";
import type { GameData, MenuData } from "./Menu";

/** One drawn entity. */
interface View {
  kind: number;
  /** Drawn as away (its player's connection dropped; the server holds the seat). */
  away: boolean;
  sprite: Phaser.GameObjects.Image;
  /** Stars: the halo. Ships: the thruster particles. */
  glow?: Phaser.GameObjects.Image;
  trail?: Phaser.GameObjects.Particles.ParticleEmitter;
  label?: Phaser.GameObjects.Text;
  ring?: Phaser.GameObjects.Image;
  x: number;
  y: number;
  heading: number;
}

/**
 * The play field. It owns the connection and the {@link GameSession} (resumed when a `welcome` gives
 * the same seat back after a dropped link, new otherwise), sends an input every tick while
 * connected, and draws what the session says: your ship where prediction puts it, everyone else
 * where interpolation puts them. Nothing here decides where anything is.
 */
export class Game extends Phaser.Scene {
  private conn!: GameConnection;
  /** Unsubscribes this scene's connection listeners (when it hands the connection over). */
  private offs: (() => void)[] = [];
  private handedOver = false;
  private session: GameSession | null = null;
  private controls!: Controls;
  private views = new Map<number, View>();
  private field!: Phaser.GameObjects.Graphics;
  private fieldImage: Phaser.GameObjects.Image | null = null;
  private burst!: Phaser.GameObjects.Particles.ParticleEmitter;
  private world: World = { ...DEFAULT_WORLD, walls: [] };
  private name = "";
  private room: string | null = null;
  private lastFrame: Frame | null = null;
  private lastNet: NetStats | null = null;
  private scores: Scores | null = null;
  private leaving = false;
  private readonly store = new SessionStore();

  constructor() {
    super("Game");
  }

  create(data: GameData): void {
    this.views = new Map();
    this.session = null;
    this.lastFrame = null;
    this.lastNet = null;
    this.scores = null;
    this.leaving = false;
    this.handedOver = false;
    this.offs = [];
    this.name = data.name;
    this.room = data.room ?? null;

    this.field = this.make.graphics({}, false);
    this.fieldImage = null;
    this.burst = this.add
      .particles(0, 0, Tex.sparkStar, {
        lifespan: { min: 350, max: 700 },
        speed: { min: 60, max: 260 },
        scale: { start: 0.9, end: 0 },
        alpha: { start: 1, end: 0 },
        blendMode: Phaser.BlendModes.ADD,
        emitting: false,
      })
      .setDepth(50);
    this.layout(this.world);

    this.controls = new Controls(this, () => this.session?.welcome.movement.radius ?? 16);

    const conn = data.handover?.conn ?? openConnection(this.name, this.room, this.store);
    this.conn = conn;
    this.offs.push(
      conn.on("welcome", (w) => this.startSession(w)),
      conn.on("snapshot", (s, at) => this.session?.onSnapshot(s, at)),
      conn.on("joined", (j) => this.session?.onJoined(j)),
      conn.on("left", (l) => this.session?.onLeft(l)),
      // Scores belong to the room, not to one session: keep the latest (it comes right after welcome).
      conn.onEvent("scores", (s) => {
        this.scores = s;
      }),
      // Once the server has used the token up or refused it, a reload must not try it again.
      conn.on("status", () => {
        if (conn.sessionToken === undefined) this.store.clear();
      }),
      conn.on("protocolError", (e) => console.warn("tickstate: dropped a malformed message:", e.message)),
    );
    if (data.handover) {
      this.startSession(data.handover.welcome);
      for (const [name, scores] of data.handover.takeEvents()) {
        if (name === "scores") this.scores = scores as Scores;
      }
    } else conn.connect();

    this.scene.launch("Hud", { model: () => this.hudModel(), leave: () => this.leave() });
    this.events.once(Phaser.Scenes.Events.SHUTDOWN, () => {
      for (const off of this.offs) off();
      this.offs = [];
      // Handed over: the other game's scene plays on with it (and restarts the HUD).
      if (this.handedOver) return;
      this.conn.close(); // a clean goodbye: the server releases the seat, the token is used up
      this.store.clear();
      this.scene.stop("Hud");
      publishDebug({ connected: false, state: "disconnected", reason: "closed", id: null, room: null, resumes: 0, lastResume: null, frame: null });
    });
  }

  override update(): void {
    const now = performance.now();
    const s = this.session;
    let frame: Frame | null = null;
    if (s && this.conn.status.state === "connected") {
      s.tick(now, (own) => this.controls.sample(own));
    }
    if (s) {
      frame = s.frame(now);
      this.draw(frame, this.game.loop.delta);
    }
    this.lastFrame = frame;
    this.lastNet = s ? s.netStats(this.conn.status.state === "connected" ? this.conn.rtt : null) : null;
    publishDebug({
      game: s?.welcome.game ?? null,
      toScreen: screenMapper(this),
      connected: this.conn.status.state === "connected",
      state: this.conn.status.state,
      reason: this.conn.status.reason,
      id: s?.id ?? null,
      room: s?.welcome.room ?? null,
      resumes: s?.resumeCount ?? 0,
      lastResume: s?.lastResume ?? null,
      frame,
      scores: this.scores,
      protocolErrors: this.conn.protocolErrors,
      net: this.lastNet,
      netGraph: (this.scene.get("Hud") as { netGraphVisible?: boolean } | null)?.netGraphVisible ?? false,
    });
  }

  /**
   * A `welcome`: the same seat again after a dropped link (same id and token) resumes the session,
   * keeping the ship, its unacknowledged inputs and the views; anything else starts over.
   */
  private startSession(w: Welcome): void {
    if (sceneFor(w.game) !== this.scene.key) {
      // The server hosts another game: its scene takes the connection over.
      this.handedOver = true;
      this.scene.start(sceneFor(w.game), { name: this.name, ...(this.room === null ? {} : { room: this.room }), handover: handOver(this.conn, w) });
      return;
    }
    this.store.save(w.token, w.room);
    // Snapshots decode from the welcome's schema whatever it says; this only warns when the server
    // hosts another game (or another version of it) than the one this page draws.
    const diff = w.game === GAME ? schemaDifferences(EXPECTED_SCHEMA, w.schema) : [`the server hosts ${w.game}, not ${GAME}`];
    if (diff.length > 0) console.warn("tickstate: schema differs from the one this client was built for:", diff.join("; "));
    if (this.session?.canResume(w)) {
      this.session.resume(w);
      return;
    }
    for (const id of [...this.views.keys()]) this.removeView(id, false);
    this.scores = null; // a fresh join (maybe another room): the new room's scores come next
    this.session = new GameSession(w, (msg) => this.conn.sendInput(msg), {
      staticKinds: STATIC_KINDS,
      resumed: this.conn.resumed, // a reloaded page took its seat back
    });
    this.layout(w.world);
  }

  private leave(): void {
    if (this.leaving) return;
    this.leaving = true;
    const st = this.conn.status;
    const message: MenuData = st.state === "disconnected" && st.reason && st.reason !== "closed" ? { message: describe(st.reason) } : {};
    this.scene.start("Menu", message);
  }

  private hudModel(): HudModel {
    const s = this.session;
    return {
      status: this.conn.status,
      rtt: this.conn.rtt,
      tick: this.lastFrame?.tick ?? null,
      players: s ? s.names.size : 0,
      scores: this.scores ?? NO_SCORES,
      team: s?.ownKindId ?? null,
      name: s?.names.get(s.id) ?? this.name,
      room: s?.welcome.room ?? this.room,
      away: s ? [...(this.lastFrame?.entities.values() ?? [])].filter((e) => e.away).length : 0,
      pending: s?.pendingInputs ?? 0,
      net: this.lastNet,
    };
  }

  /** Sizes the game to the world (plus the HUD bar) and draws the field and walls. */
  private layout(world: World): void {
    this.world = world;
    const w = Math.round(world.width);
    const h = Math.round(world.height);
    if (this.scale.gameSize.width !== w || this.scale.gameSize.height !== h + HUD_HEIGHT) {
      this.scale.setGameSize(w, h + HUD_HEIGHT);
    }
    this.cameras.main.setViewport(0, HUD_HEIGHT, w, h).setScroll(0, 0).setBackgroundColor(Colors.field);

    const g = this.field.clear();
    g.fillStyle(Colors.field, 1).fillRect(0, 0, w, h);
    g.lineStyle(1, Colors.grid, 1);
    for (let x = 50; x < w; x += 50) g.lineBetween(x, 0, x, h);
    for (let y = 50; y < h; y += 50) g.lineBetween(0, y, w, y);
    g.lineStyle(2, Colors.grid, 1);
    for (let x = 200; x < w; x += 200) g.lineBetween(x, 0, x, h);
    for (let y = 200; y < h; y += 200) g.lineBetween(0, y, w, y);
    // Team halves, faintly.
    g.fillStyle(Colors.red, 0.035).fillRect(0, 0, w * 0.3, h);
    g.fillStyle(Colors.blue, 0.035).fillRect(w * 0.7, 0, w * 0.3, h);
    for (const [x, y, ww, wh] of world.walls) {
      g.fillStyle(0x000000, 0.35).fillRect(x + 5, y + 6, ww, wh); // shadow
      g.fillStyle(Colors.wall, 1).fillRect(x, y, ww, wh);
      g.lineStyle(2, Colors.wallEdge, 0.9).strokeRect(x + 1, y + 1, ww - 2, wh - 2);
      g.fillStyle(0xffffff, 0.08).fillRect(x + 3, y + 3, ww - 6, Math.min(6, wh / 4));
    }
    g.lineStyle(4, Colors.border, 1).strokeRect(2, 2, w - 4, h - 4);
    const rnd = new Phaser.Math.RandomDataGenerator([`${w}x${h}`]);
    for (let i = 0; i < (w * h) / 9000; i++) {
      g.fillStyle(0xffffff, rnd.realInRange(0.08, 0.35));
      g.fillCircle(rnd.between(0, w), rnd.between(0, h), rnd.realInRange(0.5, 1.6));
    }
    // The field never changes during a session: bake it into one texture (one quad per frame).
    if (this.textures.exists(Tex.field)) this.textures.remove(Tex.field);
    g.generateTexture(Tex.field, w, h);
    g.clear();
    this.fieldImage?.destroy();
    this.fieldImage = this.add.image(0, 0, Tex.field).setOrigin(0, 0).setDepth(0);
  }

  private draw(frame: Frame, deltaMs: number): void {
    const s = this.session;
    for (const e of frame.entities.values()) {
      let v = this.views.get(e.id);
      if (v && v.kind !== e.kind) {
        // The rules changed what this entity is (a ship switched teams): draw it anew.
        this.removeView(e.id, false);
        v = undefined;
      }
      v ??= this.addView(e);
      if (v.away !== e.away) this.setAway(v, e);
      this.updateView(v, e, deltaMs, s?.names.get(e.id) ?? null);
    }
    for (const id of [...this.views.keys()]) {
      if (!frame.entities.has(id)) this.removeView(id, true);
    }
  }

  private addView(e: DrawnEntity): View {
    const star = isStar(e.kind);
    const v: View = {
      kind: e.kind,
      away: false,
      sprite: this.add.image(e.x, e.y, star ? Tex.star : shipTexture(e.kind)),
      x: e.x,
      y: e.y,
      // Red starts on the left facing right, blue the other way.
      heading: teamOf(e.kind) === "blue" ? Math.PI : 0,
    };
    if (star) {
      v.sprite.setDepth(20);
      v.glow = this.add.image(e.x, e.y, Tex.starGlow).setDepth(19).setBlendMode(Phaser.BlendModes.ADD);
      v.sprite.setScale(0);
      this.tweens.add({ targets: v.sprite, scale: 1, duration: 260, ease: "Back.easeOut" });
    } else {
      const r = this.session?.welcome.movement.radius ?? 16;
      v.sprite.setDepth(e.own ? 32 : 30).setScale((r * 2.4) / 64 + 0.4);
      v.sprite.setRotation(v.heading);
      v.trail = this.add
        .particles(0, 0, sparkTexture(e.kind), {
          lifespan: 380,
          speed: { min: 5, max: 30 },
          scale: { start: 0.55, end: 0 },
          alpha: { start: 0.7, end: 0 },
          blendMode: Phaser.BlendModes.ADD,
          frequency: 28,
          emitting: false,
        })
        .setDepth(25);
      v.label = this.add
        .text(e.x, e.y, "", {
          fontFamily: FONT,
          fontSize: e.own ? "20px" : "18px",
          fontStyle: e.own ? "bold" : "normal",
          color: e.own ? Colors.ownText : Colors.text,
          stroke: "#000000",
          strokeThickness: 4,
        })
        .setOrigin(0.5, 1)
        .setDepth(40);
      if (e.own) {
        v.ring = this.add.image(e.x, e.y, Tex.ring).setDepth(29).setAlpha(0.8);
        v.ring.setScale((r * 2.9) / 80);
        this.tweens.add({ targets: v.ring, alpha: 0.35, duration: 700, yoyo: true, repeat: -1, ease: "Sine.easeInOut" });
      }
    }
    this.views.set(e.id, v);
    return v;
  }

  /**
   * An away ship (its player lost the connection; the server holds the seat) is drawn grey and
   * see-through, without thrusters, with "away" after its name. Grey by texture, not tint: the
   * Canvas renderer has no tint.
   */
  private setAway(v: View, e: DrawnEntity): void {
    v.away = e.away;
    if (isStar(e.kind)) return;
    v.sprite.setTexture(e.away ? Tex.shipOther : shipTexture(e.kind)).setAlpha(e.away ? 0.45 : 1);
    v.label?.setAlpha(e.away ? 0.7 : 1);
    if (e.away && v.trail) v.trail.emitting = false;
  }

  private updateView(v: View, e: DrawnEntity, deltaMs: number, name: string | null): void {
    const dx = e.x - v.x;
    const dy = e.y - v.y;
    const moved = Math.hypot(dx, dy);
    if (isStar(e.kind)) {
      // A star that jumped was collected and put back elsewhere: burst where it was, pop in anew.
      if (moved > 40) {
        this.burst.explode(26, v.x, v.y);
        v.sprite.setScale(0);
        this.tweens.add({ targets: v.sprite, scale: 1, duration: 300, ease: "Back.easeOut" });
      }
      const t = this.time.now;
      v.sprite.setPosition(e.x, e.y).setRotation(t / 1400 + e.id);
      v.glow!.setPosition(e.x, e.y).setScale(1 + 0.12 * Math.sin(t / 260 + e.id)).setAlpha(0.9);
    } else {
      if (moved > 0.25) {
        const target = Math.atan2(dy, dx);
        v.heading = Phaser.Math.Angle.RotateTo(v.heading, target, Math.min(1, deltaMs / 60) * Math.PI * 0.5);
      }
      v.sprite.setPosition(e.x, e.y).setRotation(v.heading);
      const speed = moved / Math.max(1, deltaMs);
      const trail = v.trail!;
      trail.emitting = speed > 0.03 && !v.away;
      trail.setPosition(e.x - Math.cos(v.heading) * 16, e.y - Math.sin(v.heading) * 16);
      const label = v.label!;
      const text = e.own ? `${name ?? this.name} (you)` : `${name ?? `#${e.id}`}${v.away ? " · away" : ""}`;
      if (label.text !== text) label.setText(text);
      // Keep the name on the field: below the ship at the top edge, pushed in at the sides.
      const half = label.width / 2 + 4;
      const below = e.y < 52;
      label.setOrigin(0.5, below ? 0 : 1);
      label.setPosition(
        Phaser.Math.Clamp(e.x, half, Math.max(half, this.world.width - half)),
        below ? e.y + 30 : e.y - 30,
      );
      v.ring?.setPosition(e.x, e.y);
    }
    v.x = e.x;
    v.y = e.y;
  }

  private removeView(id: number, animate: boolean): void {
    const v = this.views.get(id);
    if (!v) return;
    this.views.delete(id);
    if (animate && isStar(v.kind)) this.burst.explode(20, v.x, v.y);
    if (animate && !isStar(v.kind)) {
      this.tweens.add({ targets: v.sprite, alpha: 0, scale: 0.2, duration: 250, onComplete: () => v.sprite.destroy() });
    } else {
      v.sprite.destroy();
    }
    v.glow?.destroy();
    v.label?.destroy();
    v.ring?.destroy();
    if (v.trail) {
      v.trail.emitting = false;
      const trail = v.trail;
      this.time.delayedCall(500, () => trail.destroy());
    }
  }
}

/** Player-facing text for a disconnect reason. */
export function describe(reason: string): string {
  switch (reason) {
    case "kicked":
      return "You were removed from the game.";
    case "room_full":
      return "The room is full. Try again in a moment.";
    case "invalid_room":
      return "That room name is not valid (1–32 of A–Z a–z 0–9 _ -).";
    case "invalid_auth":
      return "The server refused the name or token.";
    case "protocol_mismatch":
      return "This page speaks another protocol version than the server: reload it.";
    case "invalid_options":
      return "The server refused the join options.";
    case "unauthorized":
      return "The server needs you to sign in first.";
    case "forbidden":
      return "You may not play in this room.";
    case "game_started":
      return "The game in that room has started. Try another room.";
    case "name_taken":
      return "Someone in that room already uses that name.";
    case "reconnect_failed":
      return "Could not reach the server.";
    case "replaced":
      return "This game was opened in another tab.";
    case "abuse":
      return "The server disconnected you (too many invalid inputs).";
    default:
      return reason.startsWith("protocol_")
        ? "This page is older than the server: reload it."
        : `Disconnected: ${reason.replace(/_/g, " ")}`;
  }
}
