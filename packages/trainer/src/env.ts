// The only module of packages/trainer that reads process.env: what a deployment may set for the trainer.
export interface TrainerEnv {
  /** TUNEBOARD_BACKEND: force one backend (unparsed; backends.ts checks the name). */
  backend: string | undefined;
}

export function readTrainerEnv(): TrainerEnv {
  return { backend: process.env.TUNEBOARD_BACKEND };
}
