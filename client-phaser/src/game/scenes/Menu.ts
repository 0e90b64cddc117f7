import Phaser from "phaser";
import { isValidRoomName, LobbyPoller, type RoomInfo } from "tickstate-sdk";
import type { Handover } from "../net";
import { Colors, FONT, Tex } from "../theme";

const NAME_KEY = "tickstate.name";

export interface MenuData {
  /** Shown under the form, e.g. why the last game ended. */
  message?: string;
}

export interface GameData {
  name: string;
  room?: string;
  /** The connection of the play scene that got a `welcome` for this scene's game. */
  handover?: Handover;
}

/** How often the lobby list is fetched again, ms. */
const LOBBY_EVERY_MS = 3000;

/**
 * Title screen with the player's name and an optional room. The form is a real HTML form (Phaser
 * DOM element), so it works with any keyboard, screen reader or phone; Enter or the Play button
 * starts the game. An empty room lets the server matchmake; `?room=NAME` in the page URL fills the
 * room in. Beside the form, the lobby (`GET /rooms`, refreshed every few seconds) lists the rooms;
 * clicking one fills the room field. The name is remembered in localStorage.
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

    const title = this.add
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
    const room = params.get("room") ?? "";
    const saved = params.get("name") ?? safeGet(NAME_KEY) ?? "";

    const form = this.add.dom(width / 2, height * 0.53).createFromHTML(formHtml(saved, room));
    const input = form.getChildByID("name") as HTMLInputElement | null;
    const roomInput = form.getChildByID("room") as HTMLInputElement | null;
    const roomError = form.getChildByID("room-error") as HTMLElement | null;
    const formEl = form.getChildByID("join") as HTMLFormElement | null;
    formEl?.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const name = (input?.value ?? "").trim().slice(0, 24);
      const chosen = (roomInput?.value ?? "").trim();
      if (chosen !== "" && !isValidRoomName(chosen)) {
        if (roomError) roomError.textContent = "1–32 letters, digits, _ or -";
        roomInput?.focus();
        return;
      }
      safeSet(NAME_KEY, name);
      const next: GameData = chosen === "" ? { name } : { name, room: chosen };
      this.scene.start("Game", next);
    });
    roomInput?.addEventListener("input", () => {
      if (roomError) roomError.textContent = "";
    });

    const lobby = this.add.dom(width - 250, height * 0.53).createFromHTML(lobbyHtml());
    const list = lobby.getChildByID("lobby-list") as HTMLElement | null;
    const note = lobby.getChildByID("lobby-note") as HTMLElement | null;
    const poller = new LobbyPoller((rooms, error) => {
      if (list && note) renderLobby(list, note, rooms, error, roomInput);
    }, LOBBY_EVERY_MS).start();
    this.events.once(Phaser.Scenes.Events.SHUTDOWN, () => poller.stop());
    // Focus the field for typing right away (not on touch screens, where it would pop a keyboard).
    if (input && !this.sys.game.device.input.touch) setTimeout(() => input.focus(), 0);

    const help = this.add
      .text(
        width / 2,
        height * 0.78,
        "Fly: arrow keys or WASD · hold the mouse or a finger to steer · Space: action\nTouch a star to score for your team.",
        { fontFamily: FONT, fontSize: "26px", color: Colors.text, align: "center", lineSpacing: 10 },
      )
      .setOrigin(0.5);
    // One build plays every game: the lobby says which one this server hosts.
    void fetch("/rooms")
      .then((r) => (r.ok ? r.json() : null))
      .then((doc: unknown) => {
        const game = typeof doc === "object" && doc !== null ? (doc as { game?: unknown }).game : undefined;
        if (game !== "arena" || !title.active) return;
        title.setText("ARENA").setColor("#ff8a6a").setStroke("#3a0d06", 6);
        help.setText(
          "Fly: WASD or arrows · aim: mouse · blaster: hold the left button · rail: right button or Space\nTab: scoreboard · Enter: chat · green crosses heal.",
        );
      })
      .catch(() => {
        // No lobby (e.g. the Vite dev server without the proxy): keep the default title.
      });
    if (data.message) {
      this.add
        .text(width / 2, height * 0.88, data.message, { fontFamily: FONT, fontSize: "26px", color: Colors.redText })
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

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function formHtml(name: string, room: string): string {
  return `
  <form id="join" autocomplete="off" style="display:flex;flex-direction:column;align-items:center;gap:14px;font-family:${esc(FONT)}">
    <label for="name" style="color:#e8ecff;font-size:28px">Your name</label>
    <input id="name" name="name" maxlength="24" value="${esc(name)}" placeholder="Pilot"
      style="width:440px;font-size:36px;padding:14px 20px;border-radius:14px;border:2px solid #3a4b80;
             background:#0e1733;color:#fff;text-align:center;outline:none" />
    <label for="room" style="color:#8c96b8;font-size:22px;margin-top:4px">Room <span style="font-size:18px">(empty: any room with a free seat)</span></label>
    <input id="room" name="room" maxlength="32" value="${esc(room)}" placeholder="any"
      style="width:300px;font-size:26px;padding:8px 16px;border-radius:12px;border:2px solid #2a3a66;
             background:#0b1226;color:#dfe6ff;text-align:center;outline:none" />
    <div id="room-error" role="alert" style="color:#ff6b7a;font-size:20px;min-height:24px"></div>
    <button id="play" type="submit"
      style="font-size:36px;font-weight:bold;padding:14px 72px;border-radius:14px;border:0;cursor:pointer;
             background:linear-gradient(#ffe27a,#f0b400);color:#2a1d00;box-shadow:0 6px 24px rgba(255,210,80,.35)">
      Play
    </button>
  </form>`;
}

function lobbyHtml(): string {
  return `
  <div id="lobby" style="width:400px;font-family:${esc(FONT)};background:rgba(10,16,34,.85);border:2px solid #2a3a66;
       border-radius:16px;padding:16px 18px;box-sizing:border-box">
    <div style="color:#e8ecff;font-size:26px;font-weight:bold;margin-bottom:10px">Rooms</div>
    <div id="lobby-list" style="display:flex;flex-direction:column;gap:8px;max-height:330px;overflow-y:auto"></div>
    <div id="lobby-note" style="color:#8c96b8;font-size:18px;margin-top:10px">Loading…</div>
  </div>`;
}

/** Fills the lobby list (DOM API only: room names come from the server and are never parsed as HTML). */
function renderLobby(
  list: HTMLElement,
  note: HTMLElement,
  rooms: readonly RoomInfo[] | null,
  error: Error | null,
  roomInput: HTMLInputElement | null,
): void {
  if (error || !rooms) {
    note.textContent = "Could not load the rooms; trying again…";
    return;
  }
  note.textContent = rooms.length === 0 ? "No rooms yet: Play starts one." : "Click a room to pick it.";
  const chosen = roomInput?.value.trim() ?? "";
  const items = rooms.map((r) => {
    const full = r.players >= r.capacity;
    const b = document.createElement("button");
    b.type = "button";
    b.className = "lobby-room";
    b.dataset.room = r.id;
    b.disabled = full;
    b.style.cssText =
      "display:flex;justify-content:space-between;align-items:center;width:100%;font-size:22px;padding:8px 14px;" +
      `border-radius:10px;cursor:${full ? "default" : "pointer"};font-family:inherit;` +
      `border:2px solid ${r.id === chosen ? "#ffe27a" : "#3a4b80"};background:#0e1733;color:${full ? "#5c6688" : "#e8ecff"}`;
    const name = document.createElement("span");
    name.textContent = r.id;
    name.style.cssText = "overflow:hidden;text-overflow:ellipsis;white-space:nowrap;max-width:230px";
    const count = document.createElement("span");
    count.textContent = `${r.players}/${r.capacity}${full ? " full" : ""}`;
    count.style.color = "#8c96b8";
    b.append(name, count);
    b.addEventListener("click", () => {
      if (!roomInput) return;
      roomInput.value = r.id;
      roomInput.dispatchEvent(new Event("input"));
      for (const other of list.querySelectorAll<HTMLElement>(".lobby-room")) {
        other.style.borderColor = other.dataset.room === r.id ? "#ffe27a" : "#3a4b80";
      }
    });
    return b;
  });
  list.replaceChildren(...items);
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
