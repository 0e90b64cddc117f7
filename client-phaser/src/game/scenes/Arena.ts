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
import { sceneFor } from "../../games";
import {
  EXPECTED_SCHEMA,
  GAME,
  isPickup,
  isShip,
  Kinds,
  normAngle,
  radiusOf,
  refusalText,
  STATIC_KINDS,
  Tuning,
  type Arena as ArenaTypes,
  type RailShot,
  type ScoreLine,
} from "../../games/arena";
import { BoltTracker, type DrawnBolt } from "../../games/arena/bolts";
import { castBeam, distanceToWall, type RayTarget } from "../../games/arena/geometry";
import { ArenaControls } from "../arena-controls";
import { ArenaOverlay, type ChatEntry, type FeedEntry } from "../arena-ui";
import { publishDebug, screenMapper, type DrawnDebug } from "../debug-hook";
import { handOver, openConnection, type GameConnection } from "../net";
import { Colors, DEFAULT_WORLD, FONT, HUD_HEIGHT, Tex } from "../theme";
import { describe } from "./Game";
import type { HudModel } from "./Hud";
import type { GameData, MenuData } from "./Menu";

/** One drawn ship. */
interface ShipView {
  sprite: Phaser.GameObjects.Image;
  flash: Phaser.GameObjects.Image;
  shield: Phaser.GameObjects.Image;
  label: Phaser.GameObjects.Text;
  away: boolean;
  hp: number;
  x: number;
  y: number;
  /** The floating damage number of the latest hit, while it is being added to. */
  damage: { text: Phaser.GameObjects.Text; total: number; at: number } | null;
}

type ArenaEvents = ArenaTypes["events"];
type ArenaHandlers = { [K in keyof ArenaEvents]: (data: ArenaEvents[K], tick: number) => void };

/** A rail shot of someone else, held until the render time reaches its tick. */
interface HeldRail {
  readonly shot: RailShot;
  readonly tick: number;
}

/**
 * Arena's play field: the connection and the {@link GameSession} (like Star Collector's scene),
 * your ship predicted (position by the SDK, aim from the mouse at once), everyone else
 * interpolated, bolts from their spawn and velocity every frame ({@link BoltTracker}, your own
 * shots shown the frame you fire), rail beams, health bars, hit flashes, explosions and respawns,
 * and the overlay: kill feed, chat, scoreboard (Tab), rail meter, death banner.
 */
export class Arena extends Phaser.Scene {
  private conn!: GameConnection;
  private offs: (() => void)[] = [];
  private handedOver = false;
  private session: GameSession | null = null;
  private bolts: BoltTracker | null = null;
  private controls!: ArenaControls;
  private ui!: ArenaOverlay;
  private ships = new Map<number, ShipView>();
  private pickups = new Map<number, Phaser.GameObjects.Image>();
  private boltViews = new Map<number, Phaser.GameObjects.Image>();
  private bars!: Phaser.GameObjects.Graphics;
  private trails!: Phaser.GameObjects.Graphics;
  private aimLine!: Phaser.GameObjects.Graphics;
  private sparks!: Phaser.GameObjects.Particles.ParticleEmitter;
  private fire!: Phaser.GameObjects.Particles.ParticleEmitter;
  private fieldImage: Phaser.GameObjects.Image | null = null;
  private world: World = { ...DEFAULT_WORLD, walls: [] };
  private name = "";
  private room: string | null = null;
  private lastFrame: Frame | null = null;
  private lastNet: NetStats | null = null;
  private drawnBolts: DrawnBolt[] = [];
  private leaving = false;
  private readonly store = new SessionStore();

  /** Your aim (radians), sent with every input and drawn at once. */
  private aim = 0;
  /** Input ticks since your last bolt / rail shot (the client's copy of the cooldowns). */
  private sinceBolt = 1000;
  private sinceRail = 1000;
  private ownRailAt = -Infinity;
  private viewTick = 0;
  private scoreboard: readonly ScoreLine[] = [];
  private feed: FeedEntry[] = [];
  private chat: ChatEntry[] = [];
  private heldRails: HeldRail[] = [];
  private killedBy: string | null = null;
  private lastOwn: { x: number; y: number } | null = null;

  constructor() {
    super("Arena");
  }

  create(data: GameData): void {
    this.ships = new Map();
    this.pickups = new Map();
    this.boltViews = new Map();
    this.session = null;
    this.bolts = null;
    this.lastFrame = null;
    this.leaving = false;
    this.handedOver = false;
    this.offs = [];
    this.scoreboard = [];
    this.feed = [];
    this.chat = [];
    this.heldRails = [];
    this.killedBy = null;
    this.name = data.name;
    this.room = data.room ?? null;

    this.fieldImage = null;
    this.trails = this.add.graphics().setDepth(20);
    this.aimLine = this.add.graphics().setDepth(28);
    this.bars = this.add.graphics().setDepth(41);
    this.sparks = this.add
      .particles(0, 0, Tex.sparkHit, {
        lifespan: { min: 200, max: 500 },
        speed: { min: 80, max: 320 },
        scale: { start: 0.8, end: 0 },
        alpha: { start: 1, end: 0 },
        blendMode: Phaser.BlendModes.ADD,
        emitting: false,
      })
      .setDepth(50);
    this.fire = this.add
      .particles(0, 0, Tex.sparkFire, {
        lifespan: { min: 400, max: 900 },
        speed: { min: 40, max: 260 },
        scale: { start: 1.6, end: 0 },
        alpha: { start: 1, end: 0 },
        blendMode: Phaser.BlendModes.ADD,
        emitting: false,
      })
      .setDepth(50);
    this.ui = new ArenaOverlay(this, this.world.width, this.world.height);
    this.layout(this.world);
    this.controls = new ArenaControls(this, () => this.openChat());

    const conn = data.handover?.conn ?? openConnection(this.name, this.room, this.store);
    this.conn = conn;
    this.offs.push(
      conn.on("welcome", (w) => this.startSession(w)),
      conn.on("snapshot", (s, at) => {
        this.session?.onSnapshot(s, at);
        this.bolts?.onSnapshot(s, at);
      }),
      conn.on("joined", (j) => this.session?.onJoined(j)),
      conn.on("left", (l) => this.session?.onLeft(l)),
      conn.on("status", () => {
        if (conn.sessionToken === undefined) this.store.clear();
      }),
      conn.on("protocolError", (e) => console.warn("tickstate: dropped a malformed message:", e.message)),
    );
    const handlers: ArenaHandlers = {
      scoreboard: (b) => {
        this.scoreboard = b.players;
      },
      kill: (k) => this.onKill(k.killer, k.victim, k.weapon),
      chat: (c) => this.addChat({ id: c.id, name: this.nameOf(c.id), text: c.text, at: performance.now() }),
      chat_refused: (r) => this.addChat({ id: null, name: "", text: `Chat: ${refusalText(r.reason)}`, at: performance.now(), system: true }),
      rail: (shot, tick) => this.onRail(shot, tick),
    };
    for (const name of Object.keys(handlers) as (keyof ArenaEvents)[]) {
      this.offs.push(conn.onEvent(name, handlers[name] as (d: unknown, tick: number) => void));
    }
    if (data.handover) {
      this.startSession(data.handover.welcome);
      // Events that came while this scene was starting (the scoreboard sent on joining).
      for (const [name, value, tick] of data.handover.takeEvents()) {
        const h = (handlers as Record<string, ((d: unknown, tick: number) => void) | undefined>)[name];
        h?.(value, tick);
      }
    } else conn.connect();

    // Launching a running HUD restarts it with this scene's model.
    this.scene.launch("Hud", { model: () => this.hudModel(), leave: () => this.leave() });
    this.events.once(Phaser.Scenes.Events.SHUTDOWN, () => {
      for (const off of this.offs) off();
      this.offs = [];
      this.ui.closeChat();
      if (this.handedOver) return;
      this.conn.close();
      this.store.clear();
      this.scene.stop("Hud");
      publishDebug({ connected: false, state: "disconnected", reason: "closed", id: null, room: null, resumes: 0, lastResume: null, frame: null });
    });
  }

  override update(): void {
    const now = performance.now();
    const s = this.session;
    let frame: Frame | null = null;
    if (s) {
      // The tick other ships are drawn at: sent as `view_tick` (lag compensation of the rail).
      const rt = s.renderTick(now);
      this.viewTick = rt === null ? 0 : Math.max(0, Math.round(rt));
      if (this.conn.status.state === "connected") s.tick(now, (own) => this.sample(own, now));
      frame = s.frame(now);
      const renderMs = rt === null ? null : (rt * 1000) / s.welcome.tick_rate;
      this.drawnBolts = this.bolts?.sample(now, renderMs) ?? [];
      this.releaseRails(rt);
      this.draw(frame, now);
    }
    this.lastFrame = frame;
    this.lastNet = s ? s.netStats(this.conn.status.state === "connected" ? this.conn.rtt : null) : null;
    this.drawOverlay(now);
    this.publish(frame, now);
  }

  // ---- the session ------------------------------------------------------------------------------

  private startSession(w: Welcome): void {
    if (sceneFor(w.game) !== this.scene.key) {
      this.handedOver = true;
      this.scene.start(sceneFor(w.game), { name: this.name, ...(this.room === null ? {} : { room: this.room }), handover: handOver(this.conn, w) });
      return;
    }
    this.store.save(w.token, w.room);
    const diff = w.game === GAME ? schemaDifferences(EXPECTED_SCHEMA, w.schema) : [`the server hosts ${w.game}, not ${GAME}`];
    if (diff.length > 0) console.warn("tickstate: schema differs from the one this client was built for:", diff.join("; "));
    if (this.session?.canResume(w)) {
      this.session.resume(w);
      this.bolts?.reset();
      return;
    }
    for (const id of [...this.ships.keys()]) this.removeShip(id, false);
    for (const id of [...this.pickups.keys()]) this.removePickup(id);
    this.scoreboard = [];
    this.session = new GameSession(w, (msg) => this.conn.sendInput(msg), {
      staticKinds: STATIC_KINDS,
      radiusOf,
      resumed: this.conn.resumed,
    });
    this.bolts = new BoltTracker({
      world: w.world,
      tickRate: w.tick_rate,
      ownId: w.id,
      kind: Kinds.bolt,
      radius: Tuning.boltRadius,
      speed: Tuning.boltSpeed,
      lifetimeMs: Tuning.boltLifetimeMs,
    });
    this.layout(w.world);
  }

  /**
   * One input tick: keys, aim at the mouse, triggers; your shots are shown at once (a predicted
   * bolt, a predicted rail beam) when the client's copy of the cooldown allows them.
   */
  private sample(own: { x: number; y: number } | null, now: number) {
    const c = this.controls.sample();
    if (own && c.pointer) {
      const dx = c.pointer.x - own.x;
      const dy = c.pointer.y - own.y;
      if (Math.hypot(dx, dy) > 2) this.aim = normAngle(Math.atan2(dy, dx));
    }
    this.sinceBolt++;
    this.sinceRail++;
    const alive = own !== null && this.session?.ownKindId === Kinds.ship;
    if (alive && own && c.fire && this.sinceBolt >= Tuning.blasterCooldownTicks) {
      this.sinceBolt = 0;
      this.predictBolt(own, now);
    }
    const railReady = ((this.session?.privateFields?.rail_cooldown as number | undefined) ?? 0) <= 0.001;
    if (alive && own && c.rail && railReady && this.sinceRail >= Tuning.railCooldownTicks) {
      this.sinceRail = 0;
      this.predictRail(own, now);
    }
    return { dx: c.dx, dy: c.dy, buttons: 0, fields: { aim: this.aim, fire: c.fire, rail: c.rail, view_tick: this.viewTick } };
  }

  private predictBolt(own: { x: number; y: number }, now: number): void {
    const dx = Math.cos(this.aim);
    const dy = Math.sin(this.aim);
    // The server fires nothing when the muzzle is inside a wall.
    if (distanceToWall(this.world, own.x, own.y, dx, dy, 0, Tuning.muzzle) < Tuning.muzzle) return;
    const mx = own.x + dx * Tuning.muzzle;
    const my = own.y + dy * Tuning.muzzle;
    this.bolts?.predict(mx, my, this.aim, now);
    this.fire.explode(2, mx, my);
  }

  private predictRail(own: { x: number; y: number }, now: number): void {
    const targets: RayTarget[] = [];
    for (const e of this.lastFrame?.entities.values() ?? []) {
      if (isShip(e.kind) && !e.own) targets.push({ id: e.id, x: e.x, y: e.y, r: Tuning.shipRadius });
    }
    const beam = castBeam(this.world, own.x, own.y, this.aim, Tuning.railRangeUnits, targets);
    this.ownRailAt = now;
    this.drawBeam([own.x, own.y], beam.to, beam.hit !== null, true);
  }

  private onRail(shot: RailShot, tick: number): void {
    const s = this.session;
    if (!s) return;
    if (shot.by === s.id) {
      // Shown when fired; draw the server's only if the prediction did not (e.g. a missed press).
      if (performance.now() - this.ownRailAt > 600) this.drawBeam(shot.from, shot.to, shot.hit !== null, true);
      return;
    }
    this.heldRails.push({ shot, tick });
  }

  /** Draws the rail shots of others once the render time reaches them (where you see the shooter). */
  private releaseRails(renderTick: number | null): void {
    if (this.heldRails.length === 0) return;
    const keep: HeldRail[] = [];
    for (const h of this.heldRails) {
      if (renderTick === null || renderTick >= h.tick - 0.5 || this.heldRails.length > 16) {
        this.drawBeam(h.shot.from, h.shot.to, h.shot.hit !== null, false);
      } else keep.push(h);
    }
    this.heldRails = keep;
  }

  private onKill(killer: number, victim: number, weapon: "blaster" | "rail"): void {
    const own = this.session?.id ?? null;
    const entry: FeedEntry = {
      killer,
      victim,
      weapon,
      killerName: this.nameOf(killer),
      victimName: this.nameOf(victim),
      at: performance.now(),
      mine: killer === own || victim === own,
    };
    this.feed.push(entry);
    if (this.feed.length > 20) this.feed.shift();
    if (victim === own) this.killedBy = killer === own ? "yourself" : entry.killerName;
  }

  private addChat(c: ChatEntry): void {
    this.chat.push(c);
    if (this.chat.length > 50) this.chat.shift();
  }

  private openChat(): void {
    if (this.ui.chatOpen || this.conn.status.state !== "connected") return;
    this.controls.suspend(true);
    this.ui.openChat(
      (text) => {
        const refused = this.conn.sendMessage("chat", text);
        if (refused !== null) {
          const why = refused === "too_large" ? "too long" : refused.replace(/_/g, " ");
          this.addChat({ id: null, name: "", text: `Chat not sent: ${why}.`, at: performance.now(), system: true });
        }
      },
      () => this.controls.suspend(false),
    );
  }

  private nameOf(id: number): string {
    return this.session?.names.get(id) ?? this.scoreboard.find((l) => l.id === id)?.name ?? `#${id}`;
  }

  private leave(): void {
    if (this.leaving) return;
    this.leaving = true;
    const st = this.conn.status;
    const message: MenuData = st.state === "disconnected" && st.reason && st.reason !== "closed" ? { message: describe(st.reason) } : {};
    this.scene.start("Menu", message);
  }

  private ownLine(): ScoreLine | null {
    const id = this.session?.id;
    return this.scoreboard.find((l) => l.id === id) ?? null;
  }

  private hudModel(): HudModel {
    const s = this.session;
    const me = this.ownLine();
    return {
      status: this.conn.status,
      rtt: this.conn.rtt,
      tick: this.lastFrame?.tick ?? null,
      players: s ? s.names.size : 0,
      scores: null,
      centre: me ? `${me.kills} ${me.kills === 1 ? "kill" : "kills"} · ${me.deaths} ${me.deaths === 1 ? "death" : "deaths"}` : "ARENA",
      centreColor: Colors.ownText,
      team: null,
      name: s?.names.get(s.id) ?? this.name,
      room: s?.welcome.room ?? this.room,
      away: s ? [...(this.lastFrame?.entities.values() ?? [])].filter((e) => e.away).length : 0,
      net: this.lastNet,
      pending: s?.pendingInputs ?? 0,
    };
  }

  // ---- drawing ----------------------------------------------------------------------------------

  /** Sizes the game to the world (plus the HUD bar) and bakes the floor and walls into a texture. */
  private layout(world: World): void {
    this.world = world;
    const w = Math.round(world.width);
    const h = Math.round(world.height);
    if (this.scale.gameSize.width !== w || this.scale.gameSize.height !== h + HUD_HEIGHT) {
      this.scale.setGameSize(w, h + HUD_HEIGHT);
    }
    this.cameras.main.setViewport(0, HUD_HEIGHT, w, h).setScroll(0, 0).setBackgroundColor(Colors.arenaField);
    const g = this.make.graphics({}, false);
    g.fillStyle(Colors.arenaField, 1).fillRect(0, 0, w, h);
    g.lineStyle(1, Colors.arenaGrid, 1);
    for (let x = 40; x < w; x += 40) g.lineBetween(x, 0, x, h);
    for (let y = 40; y < h; y += 40) g.lineBetween(0, y, w, y);
    g.lineStyle(2, 0x232a4a, 1);
    for (let x = 200; x < w; x += 200) g.lineBetween(x, 0, x, h);
    for (let y = 180; y < h; y += 180) g.lineBetween(0, y, w, y);
    // The centre ring.
    g.lineStyle(3, 0x232a4a, 1).strokeCircle(w / 2, h / 2, 150);
    for (const [x, y, ww, wh] of world.walls) {
      g.fillStyle(0x000000, 0.4).fillRect(x + 6, y + 7, ww, wh); // shadow
      g.fillStyle(Colors.arenaWall, 1).fillRect(x, y, ww, wh);
      g.fillStyle(0xffffff, 0.06).fillRect(x + 3, y + 3, ww - 6, Math.min(6, wh / 4));
      g.lineStyle(3, Colors.arenaWallEdge, 0.95).strokeRect(x + 1.5, y + 1.5, ww - 3, wh - 3);
    }
    g.lineStyle(4, Colors.arenaWallEdge, 0.8).strokeRect(2, 2, w - 4, h - 4);
    const key = "arena-field";
    if (this.textures.exists(key)) this.textures.remove(key);
    g.generateTexture(key, w, h);
    g.destroy();
    this.fieldImage?.destroy();
    this.fieldImage = this.add.image(0, 0, key).setOrigin(0, 0).setDepth(0);
    this.ui.layout(w, h);
  }

  private draw(frame: Frame, now: number): void {
    const s = this.session!;
    const seen = new Set<number>();
    let own: DrawnEntity | null = null;
    for (const e of frame.entities.values()) {
      if (isShip(e.kind)) {
        seen.add(e.id);
        if (e.own) own = e;
        this.drawShip(e, s.names.get(e.id) ?? `#${e.id}`, now);
      } else if (isPickup(e.kind)) {
        this.drawPickup(e, now);
      }
    }
    for (const id of [...this.ships.keys()]) if (!seen.has(id)) this.removeShip(id, true);
    for (const id of [...this.pickups.keys()]) if (!frame.entities.has(id)) this.removePickup(id);
    if (own) {
      this.lastOwn = { x: own.x, y: own.y };
      this.killedBy = null;
    }
    this.drawBolts();
    this.drawBars(frame);
    this.drawAim(own);
  }

  private drawShip(e: DrawnEntity, name: string, now: number): void {
    let v = this.ships.get(e.id);
    const hp = typeof e.fields.hp === "number" ? e.fields.hp : Tuning.maxHp;
    if (!v) {
      const scale = (Tuning.shipRadius * 2.6) / 64 + 0.3;
      v = {
        sprite: this.add.image(e.x, e.y, e.own ? Tex.arenaOwn : Tex.arenaEnemy).setDepth(e.own ? 32 : 30).setScale(scale),
        flash: this.add.image(e.x, e.y, Tex.arenaFlash).setDepth(33).setScale(scale).setAlpha(0).setBlendMode(Phaser.BlendModes.ADD),
        shield: this.add.image(e.x, e.y, Tex.shield).setDepth(34).setScale((Tuning.shipRadius * 3.2) / 80).setVisible(false),
        label: this.add
          .text(e.x, e.y, "", {
            fontFamily: FONT,
            fontSize: e.own ? "19px" : "17px",
            fontStyle: e.own ? "bold" : "normal",
            color: e.own ? Colors.ownText : Colors.text,
            stroke: "#000000",
            strokeThickness: 4,
          })
          .setOrigin(0.5, 1)
          .setDepth(42),
        away: false,
        hp,
        x: e.x,
        y: e.y,
        damage: null,
      };
      this.ships.set(e.id, v);
      // Appearing (a join or a respawn): a short pop.
      v.sprite.setScale(scale * 0.2);
      this.tweens.add({ targets: v.sprite, scale, duration: 220, ease: "Back.easeOut" });
    }
    if (hp < v.hp - 0.01) this.hitFlash(v, v.hp - hp);
    v.hp = hp;
    if (v.away !== e.away) {
      v.away = e.away;
      v.sprite.setTexture(e.away ? Tex.arenaAway : e.own ? Tex.arenaOwn : Tex.arenaEnemy).setAlpha(e.away ? 0.45 : 1);
    }
    // Your ship turns with the mouse at once; others show the angle the server has.
    const angle = e.own ? this.aim : typeof e.fields.angle === "number" ? e.fields.angle : 0;
    v.sprite.setPosition(e.x, e.y).setRotation(angle);
    v.flash.setPosition(e.x, e.y).setRotation(angle);
    const shielded = e.fields.shield === true;
    v.shield.setVisible(shielded).setPosition(e.x, e.y);
    if (shielded) v.shield.setAlpha(0.55 + 0.35 * Math.sin(now / 120));
    const text = e.own ? `${name} (you)` : `${name}${e.away ? " · away" : ""}`;
    if (v.label.text !== text) v.label.setText(text);
    const half = v.label.width / 2 + 4;
    const below = e.y < 60;
    v.label.setOrigin(0.5, below ? 0 : 1);
    v.label.setPosition(Phaser.Math.Clamp(e.x, half, Math.max(half, this.world.width - half)), below ? e.y + 34 : e.y - 36);
    v.x = e.x;
    v.y = e.y;
  }

  /**
   * A hit: the ship flashes white and sparks, and a damage number floats up. Health is blended
   * between snapshots like every numeric field, so one hit lowers it over a frame or two: drops
   * within 150 ms add up into one number.
   */
  private hitFlash(v: ShipView, damage: number): void {
    const now = this.time.now;
    const d = v.damage;
    if (d && now - d.at < 150 && d.text.active) {
      d.total += damage;
      d.text.setText(`-${Math.round(d.total)}`);
      return;
    }
    this.tweens.killTweensOf(v.flash);
    v.flash.setAlpha(0.95);
    this.tweens.add({ targets: v.flash, alpha: 0, duration: 180, ease: "Quad.easeOut" });
    this.sparks.explode(8, v.x, v.y);
    const t = this.add
      .text(v.x + Phaser.Math.Between(-12, 12), v.y - 24, `-${Math.max(1, Math.round(damage))}`, {
        fontFamily: FONT,
        fontSize: "24px",
        fontStyle: "bold",
        color: "#ffd27a",
        stroke: "#000000",
        strokeThickness: 4,
      })
      .setOrigin(0.5)
      .setDepth(60);
    v.damage = { text: t, total: damage, at: now };
    this.tweens.add({ targets: t, y: t.y - 44, alpha: 0, duration: 800, ease: "Quad.easeOut", onComplete: () => t.destroy() });
  }

  private removeShip(id: number, explode: boolean): void {
    const v = this.ships.get(id);
    if (!v) return;
    this.ships.delete(id);
    if (explode) {
      this.fire.explode(36, v.x, v.y);
      this.sparks.explode(20, v.x, v.y);
      const ring = this.add.circle(v.x, v.y, 10).setStrokeStyle(4, Colors.boltEnemy, 1).setDepth(49);
      this.tweens.add({ targets: ring, scale: 6, alpha: 0, duration: 450, ease: "Quad.easeOut", onComplete: () => ring.destroy() });
      this.cameras.main.shake(id === this.session?.id ? 260 : 120, id === this.session?.id ? 0.01 : 0.003);
    }
    v.sprite.destroy();
    v.flash.destroy();
    v.shield.destroy();
    v.label.destroy();
  }

  private drawPickup(e: DrawnEntity, now: number): void {
    let img = this.pickups.get(e.id);
    if (!img) {
      img = this.add.image(e.x, e.y, Tex.pickup).setDepth(10);
      img.setScale(0);
      this.tweens.add({ targets: img, scale: 1, duration: 300, ease: "Back.easeOut" });
      this.pickups.set(e.id, img);
    }
    img.setPosition(e.x, e.y + Math.sin(now / 300 + e.id) * 2);
  }

  private removePickup(id: number): void {
    const img = this.pickups.get(id);
    if (!img) return;
    this.pickups.delete(id);
    this.sparks.explode(12, img.x, img.y);
    img.destroy();
  }

  /** Bolts where the tracker has them this frame, with a short streak behind each. */
  private drawBolts(): void {
    const g = this.trails.clear();
    const live = new Set<number>();
    for (const b of this.drawnBolts) {
      live.add(b.key);
      let img = this.boltViews.get(b.key);
      if (!img) {
        img = this.add.image(b.x, b.y, b.own ? Tex.boltOwn : Tex.boltEnemy).setDepth(21).setBlendMode(Phaser.BlendModes.ADD);
        this.boltViews.set(b.key, img);
      }
      img.setPosition(b.x, b.y);
      const color = b.own ? Colors.boltOwn : Colors.boltEnemy;
      g.lineStyle(5, color, 0.25).lineBetween(b.x - b.vx * 0.045, b.y - b.vy * 0.045, b.x, b.y);
      g.lineStyle(2, color, 0.8).lineBetween(b.x - b.vx * 0.025, b.y - b.vy * 0.025, b.x, b.y);
    }
    for (const [key, img] of [...this.boltViews]) {
      if (live.has(key)) continue;
      this.boltViews.delete(key);
      // A bolt that went (a hit, a wall): a little spark where it was. A predicted bolt the
      // server's replaced is no spark: it goes on under its new key.
      if (key >= 0) this.sparks.explode(3, img.x, img.y);
      img.destroy();
    }
  }

  private drawBeam(from: readonly [number, number], to: readonly [number, number], hit: boolean, own: boolean): void {
    const g = this.add.graphics().setDepth(25).setBlendMode(Phaser.BlendModes.ADD);
    const color = own ? Colors.rail : 0xff7adf;
    g.lineStyle(10, color, 0.25).lineBetween(from[0], from[1], to[0], to[1]);
    g.lineStyle(4, color, 0.8).lineBetween(from[0], from[1], to[0], to[1]);
    g.lineStyle(1.5, 0xffffff, 1).lineBetween(from[0], from[1], to[0], to[1]);
    this.tweens.add({ targets: g, alpha: 0, duration: 420, ease: "Quad.easeIn", onComplete: () => g.destroy() });
    this.sparks.explode(hit ? 14 : 6, to[0], to[1]);
  }

  /** Health bars above every ship (one Graphics), and the rail cooldown ring around yours. */
  private drawBars(frame: Frame): void {
    const g = this.bars.clear();
    for (const e of frame.entities.values()) {
      if (!isShip(e.kind)) continue;
      const hp = typeof e.fields.hp === "number" ? e.fields.hp : Tuning.maxHp;
      const frac = Phaser.Math.Clamp(hp / Tuning.maxHp, 0, 1);
      const w = 46;
      const x = e.x - w / 2;
      const y = e.y < 60 ? e.y + 26 : e.y - 32;
      g.fillStyle(0x000000, 0.6).fillRect(x - 1, y - 1, w + 2, 7);
      const color = frac > 0.5 ? 0x4ade80 : frac > 0.25 ? 0xffc24a : 0xff4d5e;
      g.fillStyle(color, e.away ? 0.4 : 1).fillRect(x, y, w * frac, 5);
      if (e.own) {
        const cd = this.railCooldown();
        if (cd !== null && cd > 0.001) {
          const k = 1 - Math.min(1, cd / Tuning.railCooldownS);
          g.lineStyle(3, Colors.rail, 0.7);
          g.beginPath();
          g.arc(e.x, e.y, Tuning.shipRadius + 14, -Math.PI / 2, -Math.PI / 2 + k * Math.PI * 2);
          g.strokePath();
        }
      }
    }
  }

  /** A faint sight line from your ship toward the mouse. */
  private drawAim(own: DrawnEntity | null): void {
    const g = this.aimLine.clear();
    if (!own) return;
    const dx = Math.cos(this.aim);
    const dy = Math.sin(this.aim);
    const len = distanceToWall(this.world, own.x, own.y, dx, dy, 0, 260);
    g.lineStyle(2, Colors.arenaOwn, 0.18).lineBetween(own.x + dx * 28, own.y + dy * 28, own.x + dx * len, own.y + dy * len);
  }

  private railCooldown(): number | null {
    const v = this.session?.privateFields?.rail_cooldown;
    return typeof v === "number" ? v : null;
  }

  private respawnIn(): number | null {
    const v = this.session?.privateFields?.respawn_in;
    return typeof v === "number" ? v : null;
  }

  private drawOverlay(now: number): void {
    const s = this.session;
    const alive = s !== null && s.ownKindId === Kinds.ship;
    const dead = s !== null && this.lastFrame !== null && this.lastFrame.tick !== null && !alive && this.conn.status.state === "connected";
    this.ui.showFeed(this.feed, now);
    this.ui.showChat(this.chat, now);
    this.ui.showRail(alive ? (this.railCooldown() ?? 0) : null, Tuning.railCooldownS);
    this.ui.showDeath(dead, this.killedBy, this.respawnIn());
    this.ui.showBoard(this.controls.scoreboardHeld, this.scoreboard, s?.id ?? null);
  }

  private publish(frame: Frame | null, now: number): void {
    const s = this.session;
    const drawn: DrawnDebug[] = [];
    for (const e of frame?.entities.values() ?? []) {
      if (e.kind !== Kinds.bolt) drawn.push(e);
    }
    for (const b of this.drawnBolts) {
      drawn.push({ id: b.key, x: b.x, y: b.y, kind: Kinds.bolt, away: false, fields: { vel: [b.vx, b.vy], owner: b.owner }, predicted: b.predicted });
    }
    const alive = s !== null && s.ownKindId === Kinds.ship;
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
      drawn,
      protocolErrors: this.conn.protocolErrors,
      net: this.lastNet,
      netGraph: (this.scene.get("Hud") as { netGraphVisible?: boolean } | null)?.netGraphVisible ?? false,
      extra: {
        alive,
        aim: this.aim,
        viewTick: this.viewTick,
        railCooldown: this.railCooldown(),
        respawnIn: this.respawnIn(),
        killedBy: this.killedBy,
        chat: this.chat.map((c) => ({ id: c.id, text: c.text, system: c.system ?? false })),
        killFeed: this.feed.map((f) => ({ killer: f.killer, victim: f.victim, weapon: f.weapon })),
        scoreboard: this.scoreboard,
        scoreboardShown: this.controls.scoreboardHeld,
        chatOpen: this.ui.chatOpen,
        lastOwn: this.lastOwn,
        now,
      },
    });
  }
}
