import type { CommandContext } from './context.js';

export function registerGovernanceCommands(_ctx: CommandContext): void {}
