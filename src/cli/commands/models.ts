import type { CommandContext } from './context.js';

export function registerModelCommands(_ctx: CommandContext): void {}
