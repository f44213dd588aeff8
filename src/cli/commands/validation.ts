import type { CommandContext } from './context.js';

export function registerValidationCommands(_ctx: CommandContext): void {}
