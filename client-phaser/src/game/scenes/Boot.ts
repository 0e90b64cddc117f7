import Phaser from "phaser";

/** First scene: nothing to download (every texture is drawn in code), so it goes straight on. */
export class Boot extends Phaser.Scene {
  constructor() {
    super("Boot");
  }

  create(): void {
    this.scene.start("Preloader");
  }
}
