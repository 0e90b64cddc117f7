// Bootstraps the game; everything else lives in src/game (Phaser) and src/net, src/sync (no Phaser).
import { startGame } from "./game/main";

document.addEventListener("DOMContentLoaded", () => {
  startGame("game-container");
});
