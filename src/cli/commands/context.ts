import type { Command } from 'commander';
import type { CliIo } from '../options.js';

/** What a command module gets: the program, the CLI's I/O, and groups other modules extend. */
export interface CommandContext {
  program: Command;
  io: CliIo;
  /** The `hangar models …` group (list, show, resolve live in program.ts). */
  models: Command;
}
