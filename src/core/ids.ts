import { randomBytes, randomUUID } from 'node:crypto';

/** A run id: 32 lowercase hex characters, as MLflow's clients expect. */
export function newRunId(): string {
  return randomUUID().replaceAll('-', '');
}

/** A LoggedModel id: `m-` and 32 lowercase hex characters. */
export function newLoggedModelId(): string {
  return `m-${newRunId()}`;
}

export function newUuid(): string {
  return randomUUID();
}

const ADJECTIVES = [
  'able', 'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'crisp', 'daring', 'eager', 'fancy', 'fleet',
  'gentle', 'glad', 'grand', 'honest', 'humble', 'jolly', 'keen', 'kind', 'lively', 'lucid', 'merry', 'nimble',
  'noble', 'polite', 'proud', 'quick', 'quiet', 'rare', 'sharp', 'shy', 'sleek', 'smooth', 'solid', 'steady',
  'sunny', 'swift', 'tidy', 'vast', 'warm', 'wise', 'witty', 'zesty',
];
const ANIMALS = [
  'ant', 'bass', 'bat', 'bear', 'bee', 'bird', 'boar', 'carp', 'cat', 'colt', 'crab', 'crow', 'deer', 'doe',
  'dove', 'duck', 'eel', 'elk', 'finch', 'fox', 'frog', 'gnat', 'goat', 'hare', 'hawk', 'hen', 'heron', 'ibis',
  'jay', 'koi', 'lark', 'lynx', 'mole', 'moth', 'newt', 'owl', 'panda', 'pike', 'quail', 'ram', 'robin', 'seal',
  'shrew', 'slug', 'snail', 'squid', 'stork', 'swan', 'toad', 'trout', 'vole', 'wasp', 'wolf', 'wren', 'yak',
];

/** A readable run name in adjective-animal-number form, e.g. `steady-heron-42`. */
export function newRunName(): string {
  const b = randomBytes(3);
  return `${ADJECTIVES[b[0]! % ADJECTIVES.length]}-${ANIMALS[b[1]! % ANIMALS.length]}-${b[2]! % 1000}`;
}
