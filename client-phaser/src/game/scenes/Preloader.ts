import Phaser from "phaser";
import { Colors, Tex } from "../theme";

/**
 * Draws every texture with Graphics and `generateTexture`: no asset is downloaded at run time.
 * Ships point along +x; the Game scene rotates them to their heading. Textures are drawn in their
 * final colours rather than tinted, so the Canvas renderer (which cannot tint) looks the same.
 */
export class Preloader extends Phaser.Scene {
  constructor() {
    super("Preloader");
  }

  create(): void {
    this.makeShip(Tex.shipRed, Colors.red, Colors.redDark);
    this.makeShip(Tex.shipBlue, Colors.blue, Colors.blueDark);
    this.makeShip(Tex.shipOther, Colors.neutral, 0x505870);
    this.makeStar();
    this.makeGlow();
    this.makeSpark(Tex.spark, 0xffffff);
    this.makeSpark(Tex.sparkRed, Colors.red);
    this.makeSpark(Tex.sparkBlue, Colors.blue);
    this.makeSpark(Tex.sparkStar, Colors.star);
    this.makeRing();
    this.makeDust();
    // Arena.
    this.makeFighter(Tex.arenaOwn, Colors.arenaOwn, Colors.arenaOwnDark, 0xffffff);
    this.makeFighter(Tex.arenaEnemy, Colors.arenaEnemy, Colors.arenaEnemyDark, 0xffffff);
    this.makeFighter(Tex.arenaAway, Colors.neutral, 0x505870, 0xd0d4e0);
    this.makeFighter(Tex.arenaFlash, 0xffffff, 0xffffff, 0xffffff);
    this.makeBolt(Tex.boltOwn, Colors.boltOwn);
    this.makeBolt(Tex.boltEnemy, Colors.boltEnemy);
    this.makePickup();
    this.makeShield();
    this.makeSpark(Tex.sparkHit, 0xffffff);
    this.makeSpark(Tex.sparkFire, Colors.boltEnemy);
    this.scene.start("Menu");
  }

  private g(): Phaser.GameObjects.Graphics {
    return this.make.graphics({}, false);
  }

  private makeShip(key: string, color: number, dark: number): void {
    const g = this.g();
    const c = 32;
    const hull = [
      new Phaser.Math.Vector2(c + 24, c), // nose
      new Phaser.Math.Vector2(c - 14, c - 20), // top wing tip
      new Phaser.Math.Vector2(c - 6, c), // tail notch
      new Phaser.Math.Vector2(c - 14, c + 20), // bottom wing tip
    ];
    // Soft shadow/glow.
    g.fillStyle(color, 0.18);
    g.fillCircle(c, c, 28);
    // Hull.
    g.fillStyle(dark, 1);
    g.fillPoints(hull, true);
    g.fillStyle(color, 1);
    g.fillPoints(
      [
        new Phaser.Math.Vector2(c + 22, c),
        new Phaser.Math.Vector2(c - 11, c - 16),
        new Phaser.Math.Vector2(c - 4, c),
        new Phaser.Math.Vector2(c - 11, c + 16),
      ],
      true,
    );
    g.lineStyle(2, 0xffffff, 0.55);
    g.strokePoints(hull, true);
    // Cockpit.
    g.fillStyle(0xffffff, 0.9);
    g.fillEllipse(c + 6, c, 12, 6);
    g.generateTexture(key, 64, 64);
    g.destroy();
  }

  /** Arena's fighter: a broader hull with two gun barrels, pointing along +x. */
  private makeFighter(key: string, color: number, dark: number, trim: number): void {
    const g = this.g();
    const c = 32;
    const V = (x: number, y: number) => new Phaser.Math.Vector2(c + x, c + y);
    const hull = [V(22, 0), V(4, -8), V(-6, -22), V(-16, -20), V(-10, -6), V(-14, 0), V(-10, 6), V(-16, 20), V(-6, 22), V(4, 8)];
    g.fillStyle(color, 0.16);
    g.fillCircle(c, c, 29);
    // Gun barrels.
    g.fillStyle(trim, 0.9);
    g.fillRect(c + 2, c - 12, 18, 3);
    g.fillRect(c + 2, c + 9, 18, 3);
    g.fillStyle(dark, 1);
    g.fillPoints(hull, true);
    g.fillStyle(color, 1);
    g.fillPoints([V(18, 0), V(2, -6), V(-6, -17), V(-12, -15), V(-7, -4), V(-10, 0), V(-7, 4), V(-12, 15), V(-6, 17), V(2, 6)], true);
    g.lineStyle(2, trim, 0.6);
    g.strokePoints(hull, true);
    g.fillStyle(0xffffff, 0.92);
    g.fillEllipse(c + 5, c, 11, 6);
    g.generateTexture(key, 64, 64);
    g.destroy();
  }

  private makeBolt(key: string, color: number): void {
    const g = this.g();
    g.fillStyle(color, 0.25);
    g.fillCircle(10, 10, 10);
    g.fillStyle(color, 0.6);
    g.fillCircle(10, 10, 6.5);
    g.fillStyle(0xffffff, 1);
    g.fillCircle(10, 10, 3.5);
    g.generateTexture(key, 20, 20);
    g.destroy();
  }

  private makePickup(): void {
    const g = this.g();
    for (let r = 24; r > 12; r -= 2) {
      g.fillStyle(Colors.pickup, 0.04);
      g.fillCircle(24, 24, r);
    }
    g.fillStyle(0x0b2a18, 1);
    g.fillRoundedRect(10, 10, 28, 28, 7);
    g.lineStyle(2, Colors.pickup, 1);
    g.strokeRoundedRect(10, 10, 28, 28, 7);
    g.fillStyle(Colors.pickup, 1);
    g.fillRect(21, 14, 6, 20);
    g.fillRect(14, 21, 20, 6);
    g.generateTexture(Tex.pickup, 48, 48);
    g.destroy();
  }

  private makeShield(): void {
    const g = this.g();
    g.fillStyle(Colors.shield, 0.1);
    g.fillCircle(40, 40, 36);
    g.lineStyle(3, Colors.shield, 0.9);
    g.strokeCircle(40, 40, 34);
    g.lineStyle(8, Colors.shield, 0.15);
    g.strokeCircle(40, 40, 34);
    g.generateTexture(Tex.shield, 80, 80);
    g.destroy();
  }

  private makeStar(): void {
    const g = this.g();
    const c = 20;
    const points: Phaser.Math.Vector2[] = [];
    for (let i = 0; i < 10; i++) {
      const r = i % 2 === 0 ? 17 : 7.5;
      const a = -Math.PI / 2 + (i * Math.PI) / 5;
      points.push(new Phaser.Math.Vector2(c + Math.cos(a) * r, c + Math.sin(a) * r));
    }
    g.fillStyle(Colors.star, 1);
    g.fillPoints(points, true);
    g.lineStyle(2, 0xffffff, 0.8);
    g.strokePoints(points, true);
    g.fillStyle(Colors.starCore, 1);
    g.fillCircle(c, c + 1, 4);
    g.generateTexture(Tex.star, 40, 40);
    g.destroy();
  }

  private makeGlow(): void {
    const g = this.g();
    for (let r = 32; r > 0; r -= 2) {
      g.fillStyle(Colors.star, 0.05);
      g.fillCircle(32, 32, r);
    }
    g.generateTexture(Tex.starGlow, 64, 64);
    g.destroy();
  }

  private makeSpark(key: string, color: number): void {
    const g = this.g();
    g.fillStyle(color, 0.35);
    g.fillCircle(8, 8, 8);
    g.fillStyle(color, 1);
    g.fillCircle(8, 8, 5);
    g.fillStyle(0xffffff, 0.9);
    g.fillCircle(8, 8, 2);
    g.generateTexture(key, 16, 16);
    g.destroy();
  }

  private makeRing(): void {
    const g = this.g();
    g.lineStyle(3, Colors.own, 1);
    g.strokeCircle(40, 40, 34);
    g.lineStyle(8, Colors.own, 0.18);
    g.strokeCircle(40, 40, 34);
    g.generateTexture(Tex.ring, 80, 80);
    g.destroy();
  }

  private makeDust(): void {
    const g = this.g();
    g.fillStyle(0xffffff, 1);
    g.fillCircle(2, 2, 2);
    g.generateTexture(Tex.dust, 4, 4);
    g.destroy();
  }
}
