import Phaser from "phaser";
import type { ConnectionStatus, NetStats } from "tickstate-sdk";
import type { Scores } from "../../games/star-collector";
import { NET_GRAPH_KEYS, netGraphLines } from "../net-graph";
import { Colors, FONT, HUD_HEIGHT, teamName, teamText } from "../theme";

/** What the HUD shows; the Game scene hands over a function that returns it each frame. */
export interface HudModel {
  status: ConnectionStatus;
  rtt: number | null;
  tick: number | null;
  players: number;
  /** Star Collector's team scores; null for a game without teams (the centre shows `centre`). */
  scores: Scores | null;
  /** What the middle of the bar shows when there are no team scores (Arena: kills, deaths, rail). */
  centre?: string;
  /** Colour of `centre`. */
  centreColor?: string;
  team: number | null;
  name: string;
  room: string | null;
  pending: number;
  /** Other players who are away (connection dropped, seat held). */
  away: number;
  /** What the session measures of the network (null before a session). */
  net: NetStats | null;
}

/** Frames of history in the net graph's buffer plot. */
const GRAPH_FRAMES = 180;
const GRAPH_HEIGHT = 60;
/** The plot's scale: buffer ms per pixel. */
const GRAPH_MS_PER_PX = 4;

export interface HudData {
  model: () => HudModel;
  /** Back to the menu (offered once the connection has given up). */
  leave: () => void;
}

const STATE_COLOR: Record<ConnectionStatus["state"], number> = {
  connecting: 0xffc24a,
  connected: 0x4ade80,
  reconnecting: 0xffc24a,
  disconnected: 0xff4d5e,
};

/**
 * The bar above the field: connection state, your name, team and room, team scores, ping, server
 * tick, players online (and how many are away); a banner over the field while the connection is
 * not up ("reconnecting…" while the seat is held, a clear message when it ended); and the net graph
 * (N or ` toggles it): ping, jitter, interpolation delay and buffer, snapshot rate, extrapolation,
 * corrections, with a plot of the buffer over the last 3 s (below the line: extrapolating).
 */
export class Hud extends Phaser.Scene {
  private hud!: HudData;
  private colon!: Phaser.GameObjects.Text;
  private dot!: Phaser.GameObjects.Arc;
  private statusText!: Phaser.GameObjects.Text;
  private redScore!: Phaser.GameObjects.Text;
  private blueScore!: Phaser.GameObjects.Text;
  private you!: Phaser.GameObjects.Text;
  private centre!: Phaser.GameObjects.Text;
  private stats!: Phaser.GameObjects.Text;
  private banner!: Phaser.GameObjects.Container;
  private bannerText!: Phaser.GameObjects.Text;
  private bannerHint!: Phaser.GameObjects.Text;
  private bannerBg!: Phaser.GameObjects.Rectangle;
  private lastScores = "";
  private netPanel!: Phaser.GameObjects.Container;
  private netText!: Phaser.GameObjects.Text;
  private netPlot!: Phaser.GameObjects.Graphics;
  private netBg!: Phaser.GameObjects.Rectangle;
  /** Buffer ms per frame (newest snapshot ahead of the render time; negative: extrapolating). */
  private bufferHistory: number[] = [];

  constructor() {
    super("Hud");
  }

  create(data: HudData): void {
    this.hud = data;
    const w = this.scale.gameSize.width;
    const bar = this.add.rectangle(0, 0, w, HUD_HEIGHT, 0x0a1022, 0.96).setOrigin(0, 0);
    const line = this.add.rectangle(0, HUD_HEIGHT - 2, w, 2, Colors.border).setOrigin(0, 0);
    const mid = HUD_HEIGHT / 2;
    const style = { fontFamily: FONT, fontSize: "22px", color: Colors.text };

    this.dot = this.add.circle(26, mid, 8, STATE_COLOR.connecting);
    this.statusText = this.add.text(44, mid, "", style).setOrigin(0, 0.5);
    this.you = this.add.text(44, mid, "", { ...style, fontSize: "18px", color: Colors.dim }).setOrigin(0, 0.5);

    this.redScore = this.add
      .text(w / 2 - 24, mid, "", { ...style, fontSize: "34px", fontStyle: "bold", color: Colors.redText })
      .setOrigin(1, 0.5);
    this.colon = this.add.text(w / 2, mid, ":", { ...style, fontSize: "30px", color: Colors.dim }).setOrigin(0.5, 0.55);
    this.blueScore = this.add
      .text(w / 2 + 24, mid, "", { ...style, fontSize: "34px", fontStyle: "bold", color: Colors.blueText })
      .setOrigin(0, 0.5);
    this.centre = this.add.text(w / 2, mid, "", { ...style, fontSize: "26px", fontStyle: "bold" }).setOrigin(0.5);
    this.stats = this.add.text(w - 20, mid, "", { ...style, color: Colors.dim }).setOrigin(1, 0.5);

    this.bannerBg = this.add.rectangle(0, 0, 760, 150, 0x05070f, 0.82).setStrokeStyle(2, Colors.border);
    this.bannerText = this.add.text(0, -22, "", { ...style, fontSize: "36px", fontStyle: "bold" }).setOrigin(0.5);
    this.bannerHint = this.add.text(0, 32, "", { ...style, fontSize: "22px", color: Colors.dim }).setOrigin(0.5);
    this.banner = this.add.container(w / 2, HUD_HEIGHT + (this.scale.gameSize.height - HUD_HEIGHT) / 2, [
      this.bannerBg,
      this.bannerText,
      this.bannerHint,
    ]);
    this.banner.setVisible(false);
    this.bannerBg.setInteractive({ useHandCursor: true }).on("pointerdown", () => {
      if (this.hud.model().status.state === "disconnected") this.hud.leave();
    });
    this.input.keyboard?.on("keydown-ENTER", () => {
      if (this.hud.model().status.state === "disconnected") this.hud.leave();
    });

    this.netBg = this.add.rectangle(0, 0, 560, 10, 0x05070f, 0.8).setOrigin(0, 0).setStrokeStyle(1, Colors.border);
    this.netText = this.add.text(12, 10, "", { fontFamily: "monospace", fontSize: "16px", color: Colors.text, lineSpacing: 2 });
    this.netPlot = this.add.graphics();
    this.netPanel = this.add.container(12, HUD_HEIGHT + 12, [this.netBg, this.netText, this.netPlot]).setVisible(false);
    const toggle = () => this.netPanel.setVisible(!this.netPanel.visible);
    for (const key of NET_GRAPH_KEYS) this.input.keyboard?.on(`keydown-${key}`, toggle);

    // The game resizes to the world on `welcome`: follow it.
    const relayout = () => {
      const gw = this.scale.gameSize.width;
      bar.setSize(gw, HUD_HEIGHT);
      line.setSize(gw, 2);
      this.cameras.main.setSize(gw, this.scale.gameSize.height);
      this.redScore.setX(gw / 2 - 24);
      this.blueScore.setX(gw / 2 + 24);
      this.colon.setX(gw / 2);
      this.centre.setX(gw / 2);
      this.stats.setX(gw - 20);
      this.banner.setPosition(gw / 2, HUD_HEIGHT + (this.scale.gameSize.height - HUD_HEIGHT) / 2);
    };
    this.scale.on(Phaser.Scale.Events.RESIZE, relayout);
    this.events.once(Phaser.Scenes.Events.SHUTDOWN, () => this.scale.off(Phaser.Scale.Events.RESIZE, relayout));
  }

  override update(): void {
    const m = this.hud.model();
    const st = m.status;
    this.dot.setFillStyle(STATE_COLOR[st.state]);
    this.dot.setAlpha(st.state === "connected" ? 1 : 0.5 + 0.5 * Math.abs(Math.sin(this.time.now / 250)));
    this.statusText.setText(statusLine(st)).setY(HUD_HEIGHT / 2 - 11);
    const team = teamName(m.team);
    this.you
      .setText(`${m.name || "…"}${team ? ` · ${team} team` : ""}${m.room ? ` · room ${m.room}` : ""}`)
      .setColor(teamText(m.team))
      .setY(HUD_HEIGHT / 2 + 13);

    const teams = m.scores !== null;
    this.redScore.setVisible(teams);
    this.blueScore.setVisible(teams);
    this.colon.setVisible(teams);
    this.centre.setVisible(!teams);
    if (!teams) {
      const text = m.centre ?? "";
      if (this.centre.text !== text) this.centre.setText(text);
      this.centre.setColor(m.centreColor ?? Colors.text);
    }
    const scores = m.scores === null ? this.lastScores : `${m.scores.red}:${m.scores.blue}`;
    if (m.scores !== null && scores !== this.lastScores) {
      if (this.lastScores !== "") {
        const [r, b] = this.lastScores.split(":").map(Number);
        if (m.scores.red !== r) this.pulse(this.redScore);
        if (m.scores.blue !== b) this.pulse(this.blueScore);
      }
      this.redScore.setText(`RED ${m.scores.red}`);
      this.blueScore.setText(`${m.scores.blue} BLUE`);
      this.lastScores = scores;
    }

    const ping = m.rtt === null || st.state !== "connected" ? "–" : `${Math.round(m.rtt)} ms`;
    const tick = m.tick === null ? "–" : String(m.tick);
    this.stats.setText(`Ping ${ping}   Tick ${tick}   Players ${m.players}${m.away > 0 ? ` (${m.away} away)` : ""}`);

    if (m.net) {
      this.bufferHistory.push(m.net.bufferMs ?? 0);
      if (this.bufferHistory.length > GRAPH_FRAMES) this.bufferHistory.shift();
    }
    if (this.netPanel.visible) this.drawNetGraph(m.net);

    const showBanner = st.state !== "connected";
    this.banner.setVisible(showBanner);
    if (showBanner) {
      this.bannerText.setText(bannerTitle(st)).setColor(st.state === "disconnected" ? Colors.redText : Colors.text);
      this.bannerHint.setText(bannerHint(st));
    }
  }

  /** Whether the net graph is shown (for the test hook). */
  get netGraphVisible(): boolean {
    return this.netPanel?.visible ?? false;
  }

  private drawNetGraph(net: NetStats | null): void {
    this.netText.setText(net ? netGraphLines(net) : ["no session"]);
    const top = this.netText.y + this.netText.height + 8;
    const width = 536;
    const g = this.netPlot.clear();
    // Zero line (the newest snapshot reached: extrapolating below it) and the delay line.
    const zero = top + GRAPH_HEIGHT * 0.75;
    g.lineStyle(1, Colors.border, 1).lineBetween(12, zero, 12 + width, zero);
    if (net) {
      const delayY = Math.max(top, zero - net.delayMs / GRAPH_MS_PER_PX);
      g.lineStyle(1, 0x6b7fb3, 0.6).lineBetween(12, delayY, 12 + width, delayY);
    }
    const barW = width / GRAPH_FRAMES;
    this.bufferHistory.forEach((b, k) => {
      const h = Math.max(-GRAPH_HEIGHT * 0.25, Math.min(GRAPH_HEIGHT * 0.75, b / GRAPH_MS_PER_PX));
      g.fillStyle(b >= 0 ? 0x4ade80 : 0xff4d5e, 0.85);
      if (h >= 0) g.fillRect(12 + k * barW, zero - h, Math.max(1, barW), h);
      else g.fillRect(12 + k * barW, zero, Math.max(1, barW), -h);
    });
    this.netBg.setSize(width + 24, top + GRAPH_HEIGHT + 10);
  }

  private pulse(t: Phaser.GameObjects.Text): void {
    this.tweens.add({ targets: t, scale: 1.35, duration: 120, yoyo: true, ease: "Quad.easeOut" });
  }
}

function statusLine(s: ConnectionStatus): string {
  switch (s.state) {
    case "connecting":
      return "Connecting…";
    case "connected":
      return "Connected";
    case "reconnecting":
      return s.attempt > 0 ? `Reconnecting (try ${s.attempt})…` : "Reconnecting…";
    case "disconnected":
      return "Disconnected";
  }
}

function bannerTitle(s: ConnectionStatus): string {
  switch (s.state) {
    case "connecting":
      return "Connecting to the server…";
    case "reconnecting":
      return s.attempt > 0 ? `Connection lost, reconnecting (try ${s.attempt})…` : "Connection lost, reconnecting…";
    case "disconnected":
      if (s.reason === "replaced") return "Opened in another tab";
      return s.reason ? `Disconnected: ${s.reason.replace(/_/g, " ")}` : "Disconnected";
    case "connected":
      return "";
  }
}

function bannerHint(s: ConnectionStatus): string {
  if (s.state === "disconnected") {
    return s.reason === "replaced"
      ? "You play on in the other tab. Click or press Enter for the menu"
      : "Click or press Enter to return to the menu";
  }
  if (s.reason === "session_expired") return "(your seat was given up: joining afresh)";
  if (s.reason === "offline") return "(no network: your ship waits for you for a while)";
  return s.reason ? `(${s.reason.replace(/_/g, " ")})` : "";
}
