// A stand-in for a PPO training loop (CleanRL / Stable-Baselines3 style): it prints one JSON metrics line per
// rollout with the mean episode return, shaped by gamma, the clip range and the learning rate the way real ones are
// (CartPole needs a long horizon: gamma well below 0.99 plateaus early).
import { readFileSync } from 'node:fs';

const config = JSON.parse(readFileSync(process.env.TUNEBOARD_CONFIG_FILE, 'utf8'));
const { gamma, clip_range: clip, lr } = config.algo;
const rollout = config.env.num_envs * 128;
const ceiling = 500 * Math.min(1, (1 - 0.9) / Math.max(1e-6, 1 - gamma) / 10) * (clip > 0.3 ? 0.8 : 1);
const rate = Math.min(lr, 1e-3) / 10;

console.log(`PPO on ${config.env.id}: gamma=${gamma} clip=${clip} lr=${lr}`);
for (let step = rollout, update = 0; step <= config.total_timesteps; step += rollout, update++) {
  const progress = 1 - Math.exp(-rate * step);
  const episodeReturn = 9 + (ceiling - 9) * progress;
  console.log(
    JSON.stringify({
      step,
      'episode/return': Number(episodeReturn.toFixed(2)),
      'loss/policy': -0.01 * (1 - progress),
      'charts/entropy': 0.69 * (1 - 0.6 * progress),
    }),
  );
}
console.log('training finished');
