import Phaser from "phaser";
import { Colors, FONT, Tex } from "../theme";

const NAME_KEY = "tickstate.name";

export interface MenuData {
  /** Shown under the form, e.g. why the last game ended. */
  message?: string;
}

export interface GameData {
  name: string;
  room?: string;
}

/**
 * Title screen with the player's name. The form is a real HTML form (Phaser DOM element), so it works
 * with any keyboard, screen reader or phone; Enter or the Play button starts the game.
 * `?room=NAME` in the page URL picks a room; the name is remembered in localStorage.
 */
export class Menu extends Phaser.Scene {
  constructor() {
    super("Menu");
  }

  create(data: MenuData = {}): void {
    const { width, height } = this.scale;
    this.cameras.main.setBackgroundColor(Colors.background);
    this.addStarfield(width, height);
    this.addDecoration(width, height);

    this.add
      .text(width / 2, height * 0.2, "STAR COLLECTOR", {
        fontFamily: FONT,
        fontSize: "96px",
        fontStyle: "bold",
        color: "#ffe27a",
        stroke: "#3a2a00",
        strokeThickness: 6,
      })
      .setOrigin(0.5)
      .setShadow(0, 6, "#000000", 12, true, true);
    this.add
      .text(width / 2, height * 0.2 + 78, "a multiplayer demo on Tickstate", {
        fontFamily: FONT,
        fontSize: "28px",
        color: Colors.dim,
      })
      .setOrigin(0.5);

    const params = new URLSearchParams(window.location.search);
    const room = params.get("room") ?? undefined;
    const saved = params.get("name") ?? safeGet(NAME_KEY) ?? "";

    const form = this.add.dom(width / 2, height * 0.52).createFromHTML(formHtml(saved, room));
    const input = form.getChildByID("name") as HTMLInputElement | null;
    const formEl = form.getChildByID("join") as HTMLFormElement | null;
    formEl?.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const name = (input?.value ?? "").trim().slice(0, 24);
      safeSet(NAME_KEY, name);
      const next: GameData = room === undefined ? { name } : { name, room };
      this.scene.start("Game", next);
    });
    // Focus the field for typing right away (not on touch screens, where it would pop a keyboard).
    if (input && !this.sys.game.device.input.touch) setTimeout(() => input.focus(), 0);

    this.add
      .text(
        width / 2,
        height * 0.74,
        "Fly: arrow keys or WASD · hold the mouse or a finger to steer · Space: action\nTouch a star to score for your team.",
        { fontFamily: FONT, fontSize: "26px", color: Colors.text, align: "center", lineSpacing: 10 },
      )
      .setOrigin(0.5);
    if (data.message) {
      this.add
        .text(width / 2, height * 0.86, data.message, { fontFamily: FONT, fontSize: "26px", color: Colors.redText })
        .setOrigin(0.5);
    }
  }

  private addStarfield(width: number, height: number): void {
    const rnd = new Phaser.Math.RandomDataGenerator(["menu"]);
    for (let i = 0; i < 140; i++) {
      this.add
        .image(rnd.between(0, width), rnd.between(0, height), Tex.dust)
        .setAlpha(rnd.realInRange(0.15, 0.7))
        .setScale(rnd.realInRange(0.3, 1));
    }
  }

  private addDecoration(width: number, height: number): void {
    const red = this.add.image(-80, height * 0.36, Tex.shipRed).setScale(1.4);
    const blue = this.add.image(width + 80, height * 0.64, Tex.shipBlue).setScale(1.4).setRotation(Math.PI);
    this.tweens.add({ targets: red, x: width + 80, duration: 9000, repeat: -1 });
    this.tweens.add({ targets: blue, x: -80, duration: 11000, repeat: -1 });
  }
}

function formHtml(name: string, room: string | undefined): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `
  <form id="join" autocomplete="off" style="display:flex;flex-direction:column;align-items:center;gap:18px;font-family:${esc(FONT)}">
    <label for="name" style="color:#e8ecff;font-size:28px">Your name</label>
    <input id="name" name="name" maxlength="24" value="${esc(name)}" placeholder="Pilot"
      style="width:440px;font-size:36px;padding:14px 20px;border-radius:14px;border:2px solid #3a4b80;
             background:#0e1733;color:#fff;text-align:center;outline:none" />
    <button id="play" type="submit"
      style="font-size:36px;font-weight:bold;padding:14px 72px;border-radius:14px;border:0;cursor:pointer;
             background:linear-gradient(#ffe27a,#f0b400);color:#2a1d00;box-shadow:0 6px 24px rgba(255,210,80,.35)">
      Play
    </button>
    ${room ? `<div style="color:#8c96b8;font-size:22px">room: ${esc(room)}</div>` : ""}
  </form>`;
}

function safeGet(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function safeSet(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Private mode: the name is simply not remembered.
  }
}
