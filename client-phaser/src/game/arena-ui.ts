import Phaser from "phaser";
import type { Kill, ScoreLine } from "../games/arena";
import { Colors, FONT } from "./theme";

/** One line of the chat log (a player's, or a note from the game such as a refusal). */
export interface ChatEntry {
  readonly id: number | null;
  readonly name: string;
  readonly text: string;
  readonly at: number;
  readonly system?: boolean;
}

/** One kill of the feed. */
export interface FeedEntry extends Kill {
  readonly killerName: string;
  readonly victimName: string;
  readonly at: number;
  /** You were the killer or the victim. */
  readonly mine: boolean;
}

const FEED_MS = 7000;
const CHAT_MS = 12000;
const FEED_LINES = 5;
const CHAT_LINES = 7;

/**
 * Arena's overlay on the field (fixed to the camera): the kill feed (top right), the chat log and
 * box (bottom left), the rail meter (bottom centre), the death banner with the respawn countdown,
 * the scoreboard (while Tab is held) and a line of controls. Phaser text and graphics only; the
 * chat box is an HTML input (a Phaser DOM element) so that typing works like anywhere on the web.
 */
export class ArenaOverlay {
  private readonly scene: Phaser.Scene;
  private width: number;
  private height: number;
  private readonly feedText: Phaser.GameObjects.Text[] = [];
  private readonly chatText: Phaser.GameObjects.Text[] = [];
  private readonly meter: Phaser.GameObjects.Graphics;
  private readonly meterText: Phaser.GameObjects.Text;
  private readonly deathTitle: Phaser.GameObjects.Text;
  private readonly deathHint: Phaser.GameObjects.Text;
  private readonly board: Phaser.GameObjects.Container;
  private readonly boardBg: Phaser.GameObjects.Rectangle;
  private readonly boardText: Phaser.GameObjects.Text;
  private readonly help: Phaser.GameObjects.Text;
  private chatBox: Phaser.GameObjects.DOMElement | null = null;
  private chatInput: HTMLInputElement | null = null;
  private onClose: (() => void) | null = null;

  constructor(scene: Phaser.Scene, width: number, height: number) {
    this.scene = scene;
    this.width = width;
    this.height = height;
    const text = (size: number, color: string = Colors.text, bold = false) =>
      scene.add
        .text(0, 0, "", { fontFamily: FONT, fontSize: `${size}px`, color, fontStyle: bold ? "bold" : "normal", stroke: "#000000", strokeThickness: 4 })
        .setScrollFactor(0)
        .setDepth(80);
    for (let i = 0; i < FEED_LINES; i++) this.feedText.push(text(20).setOrigin(1, 0));
    for (let i = 0; i < CHAT_LINES; i++) this.chatText.push(text(19).setOrigin(0, 1));
    this.meter = scene.add.graphics().setScrollFactor(0).setDepth(79);
    this.meterText = text(18, Colors.text, true).setOrigin(0.5, 0.5);
    this.deathTitle = text(64, Colors.redText, true).setOrigin(0.5).setVisible(false);
    this.deathHint = text(28).setOrigin(0.5).setVisible(false);
    this.boardBg = scene.add.rectangle(0, 0, 560, 200, 0x05070f, 0.88).setStrokeStyle(2, Colors.border);
    this.boardText = scene.add
      .text(0, 0, "", { fontFamily: "ui-monospace, 'DejaVu Sans Mono', monospace", fontSize: "24px", color: Colors.text, lineSpacing: 8 })
      .setOrigin(0.5);
    this.board = scene.add.container(0, 0, [this.boardBg, this.boardText]).setScrollFactor(0).setDepth(90).setVisible(false);
    this.help = text(16, Colors.dim)
      .setOrigin(0, 0)
      .setText("WASD/arrows fly · mouse aims · hold left: blaster · right/Space: rail · Tab: scores · Enter: chat");
    this.layout(width, height);
  }

  /** The field's size changed (a new `welcome`). */
  layout(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.feedText.forEach((t, i) => t.setPosition(width - 16, 12 + i * 28));
    this.help.setPosition(12, 8);
    this.deathTitle.setPosition(width / 2, height / 2 - 40);
    this.deathHint.setPosition(width / 2, height / 2 + 24);
    this.board.setPosition(width / 2, height / 2);
    this.meterText.setPosition(width / 2, height - 26);
    this.chatBox?.setPosition(16, height - 16);
  }

  /** Kill feed: the newest last, each line for a few seconds. */
  showFeed(feed: readonly FeedEntry[], now: number): void {
    const live = feed.filter((f) => now - f.at < FEED_MS).slice(-FEED_LINES);
    this.feedText.forEach((t, i) => {
      const f = live[i];
      if (!f) return void t.setVisible(false);
      const line = `${f.killerName}  ${f.weapon === "rail" ? "━━ rail ━▶" : "• blaster ▶"}  ${f.victimName}`;
      if (t.text !== line) t.setText(line);
      t.setColor(f.mine ? Colors.ownText : Colors.text);
      t.setAlpha(Math.min(1, (FEED_MS - (now - f.at)) / 800)).setVisible(true);
    });
  }

  /** Chat log above the box: the newest at the bottom; all of it while the box is open. */
  showChat(log: readonly ChatEntry[], now: number): void {
    const open = this.chatInput !== null;
    const live = log.filter((c) => open || now - c.at < CHAT_MS).slice(-CHAT_LINES).reverse();
    const bottom = this.height - (open ? 64 : 16);
    this.chatText.forEach((t, i) => {
      const c = live[i];
      if (!c) return void t.setVisible(false);
      const line = c.system ? c.text : `${c.name}: ${c.text}`;
      if (t.text !== line) t.setText(line);
      t.setWordWrapWidth(this.width * 0.45);
      t.setColor(c.system ? Colors.orangeText : Colors.text);
      const y = i === 0 ? bottom : this.chatText[i - 1]!.y - this.chatText[i - 1]!.height - 2;
      t.setPosition(16, y);
      t.setAlpha(open ? 1 : Math.min(1, (CHAT_MS - (now - c.at)) / 1000)).setVisible(true);
    });
  }

  /** The rail meter: how long until the rail is ready (`rail_cooldown`), or READY. Hidden when dead. */
  showRail(cooldown: number | null, maxCooldown: number): void {
    const g = this.meter.clear();
    if (cooldown === null) {
      this.meterText.setVisible(false);
      return;
    }
    const w = 240;
    const x = this.width / 2 - w / 2;
    const y = this.height - 40;
    const ready = cooldown <= 0.001;
    const frac = ready ? 1 : 1 - Math.min(1, cooldown / maxCooldown);
    g.fillStyle(0x05070f, 0.75).fillRoundedRect(x - 4, y - 4, w + 8, 36, 8);
    g.fillStyle(ready ? Colors.rail : 0x3a4b80, ready ? 0.9 : 0.8).fillRoundedRect(x, y, w * frac, 28, 6);
    g.lineStyle(2, ready ? Colors.rail : Colors.border, 1).strokeRoundedRect(x, y, w, 28, 6);
    this.meterText
      .setText(ready ? "RAIL READY" : `RAIL ${cooldown.toFixed(1)} s`)
      .setColor(ready ? "#06121f" : Colors.text)
      .setStroke(ready ? "#9ad8ff" : "#000000", ready ? 0 : 4)
      .setVisible(true);
  }

  /** The death banner, with who did it and the respawn countdown (`respawn_in`). */
  showDeath(dead: boolean, killer: string | null, respawnIn: number | null): void {
    this.deathTitle.setVisible(dead);
    this.deathHint.setVisible(dead);
    if (!dead) return;
    this.deathTitle.setText("DESTROYED");
    const by = killer ? `by ${killer} · ` : "";
    this.deathHint.setText(respawnIn !== null && respawnIn > 0 ? `${by}back in ${respawnIn.toFixed(1)} s` : `${by}respawning…`);
  }

  /** The scoreboard (while Tab is held). */
  showBoard(visible: boolean, lines: readonly ScoreLine[], ownId: number | null): void {
    this.board.setVisible(visible);
    if (!visible) return;
    const rows = [
      "SCOREBOARD",
      "",
      `${"#".padEnd(3)}${"PILOT".padEnd(20)}${"KILLS".padStart(6)}${"DEATHS".padStart(8)}`,
      ...lines.map(
        (l, i) =>
          `${String(i + 1).padEnd(3)}${(l.name || `#${l.id}`).slice(0, 18).padEnd(20)}${String(l.kills).padStart(6)}${String(l.deaths).padStart(8)}${l.id === ownId ? "  ◀" : ""}`,
      ),
    ];
    const text = rows.join("\n");
    if (this.boardText.text !== text) this.boardText.setText(text);
    this.boardBg.setSize(Math.max(560, this.boardText.width + 60), this.boardText.height + 50);
    this.boardBg.setOrigin(0.5);
  }

  get chatOpen(): boolean {
    return this.chatInput !== null;
  }

  /** Opens the chat box; Enter sends (and closes), Escape closes. */
  openChat(onSend: (text: string) => void, onClose: () => void): void {
    if (this.chatInput) return;
    this.onClose = onClose;
    const box = this.scene.add
      .dom(16, this.height - 16)
      .createFromHTML(
        `<input id="chat-input" maxlength="200" autocomplete="off" placeholder="Say something (Enter to send, Esc to cancel)"
          style="width:620px;font-size:22px;padding:8px 14px;border-radius:10px;border:2px solid #3a4b80;
                 background:rgba(8,12,28,.92);color:#fff;outline:none;font-family:${FONT.replace(/"/g, "'")}" />`,
      )
      .setOrigin(0, 1)
      .setScrollFactor(0)
      .setDepth(95);
    const input = box.getChildByID("chat-input") as HTMLInputElement | null;
    if (!input) {
      box.destroy();
      return;
    }
    input.addEventListener("keydown", (ev) => {
      // The game must not see these keys (Enter would open the box again, WASD would fly).
      ev.stopPropagation();
      if (ev.key === "Enter") {
        ev.preventDefault();
        const text = input.value;
        this.closeChat();
        if (text.trim() !== "") onSend(text);
      } else if (ev.key === "Escape") {
        ev.preventDefault();
        this.closeChat();
      }
    });
    input.addEventListener("keyup", (ev) => ev.stopPropagation());
    input.addEventListener("blur", () => this.closeChat());
    this.chatBox = box;
    this.chatInput = input;
    setTimeout(() => input.focus(), 0);
  }

  closeChat(): void {
    const box = this.chatBox;
    if (!box) return;
    this.chatBox = null;
    this.chatInput = null;
    box.destroy();
    const close = this.onClose;
    this.onClose = null;
    close?.();
  }
}
