// Guest firmware for the conformance runs that need a guest that works: a 64 KiB `-bios` image of
// a few real-mode instructions, written here byte by byte (no assembler, no download), so that both
// processes of a pair load the same ROM. The idle SeaBIOS guest of the other scenarios dirties
// almost nothing, so the auto-converge throttle never starts there (migration/ram.c:
// migration_trigger_throttle wants the pages dirtied in a period above half of those sent).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The dirtying loop, at F000:0000 (the image's first byte; the CPU starts at the reset vector,
 * F000:FFF0, which jumps here). It increments one byte in every 4 KiB page from 0x10000 to
 * 0x9FFFF, forever: 144 pages dirtied again and again, 576 KiB a round.
 */
const LOOP = [
  0xfa, //             cli
  0xb8, 0x00, 0x10, // outer: mov ax, 0x1000
  0x8e, 0xc0, //       seg:   mov es, ax
  0x31, 0xff, //              xor di, di
  0x26, 0xfe, 0x05, // inner: inc byte [es:di]
  0x81, 0xc7, 0x00, 0x10, //  add di, 0x1000
  0x75, 0xf7, //              jnz inner
  0x05, 0x00, 0x10, //        add ax, 0x1000
  0x3d, 0x00, 0xa0, //        cmp ax, 0xa000
  0x72, 0xeb, //              jb seg
  0xeb, 0xe6, //              jmp outer
];
/** At F000:FFF0, the reset vector: jmp far F000:0000. */
const RESET = [0xea, 0x00, 0x00, 0x00, 0xf0];

/** The 64 KiB image (the rest hlt), as `-bios` takes it. */
export function dirtyLoopBios(): Uint8Array {
  const img = new Uint8Array(0x10000).fill(0xf4);
  img.set(LOOP, 0);
  img.set(RESET, 0xfff0);
  return img;
}

/** Writes the image into `dir` and gives the command-line arguments that load it. */
export function dirtyLoopArgs(dir: string): string[] {
  const path = join(dir, 'dirty-loop.bin');
  writeFileSync(path, dirtyLoopBios());
  return ['-bios', path];
}
