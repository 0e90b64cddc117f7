// Bootstraps the game; everything else lives in src/game (Phaser) and the tickstate-sdk workspace package (no Phaser) and src/games/star-collector (the game's own rules).
import { startGame } from "./game/main";

document.addEventListener("DOMContentLoaded", () => {
  startGame("game-container");
});
