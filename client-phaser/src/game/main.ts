import Phaser from "phaser";
import { Arena } from "./scenes/Arena";
import { Boot } from "./scenes/Boot";
import { Game } from "./scenes/Game";
import { Hud } from "./scenes/Hud";
import { Menu } from "./scenes/Menu";
import { Preloader } from "./scenes/Preloader";
import { Colors, DEFAULT_WORLD, HUD_HEIGHT } from "./theme";

// Scale.FIT keeps the whole world (plus the HUD bar) in the window, letterboxed.
const config: Phaser.Types.Core.GameConfig = {
  width: DEFAULT_WORLD.width,
  height: DEFAULT_WORLD.height + HUD_HEIGHT,
  backgroundColor: Colors.background,
  scale: {
    mode: Phaser.Scale.FIT,
    autoCenter: Phaser.Scale.CENTER_BOTH,
  },
  dom: { createContainer: true },
  input: { activePointers: 3 },
  banner: false,
  scene: [Boot, Preloader, Menu, Game, Arena, Hud],
};

/**
 * WebGL, unless the browser's WebGL is a software rasterizer (SwiftShader, llvmpipe: no GPU, or a
 * blocklisted one), where Phaser's Canvas renderer is several times faster (measured in headless
 * Chromium here: 10 fps WebGL vs 60 fps Canvas). `?renderer=canvas|webgl` overrides the choice.
 */
function rendererType(): number {
  const forced = new URLSearchParams(window.location.search).get("renderer");
  if (forced === "canvas") return Phaser.CANVAS;
  if (forced === "webgl") return Phaser.WEBGL;
  try {
    const gl = document.createElement("canvas").getContext("webgl");
    if (!gl) return Phaser.CANVAS;
    const info = gl.getExtension("WEBGL_debug_renderer_info");
    const name = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension("WEBGL_lose_context")?.loseContext();
    return /swiftshader|llvmpipe|softpipe|software|basic render/i.test(name) ? Phaser.CANVAS : Phaser.AUTO;
  } catch {
    return Phaser.AUTO;
  }
}

export function startGame(parent: string): Phaser.Game {
  return new Phaser.Game({ ...config, type: rendererType(), parent });
}
