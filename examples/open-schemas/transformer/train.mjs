// A stand-in for a PyTorch language-model training loop (no GPU or Python needed): it reads the config `tuneboard
// run` hands it and prints one JSON metrics line per logging step, with a loss curve shaped by the learning rate,
// warmup and batch size the way real ones are — too high a peak rate without warmup diverges to NaN.
import { readFileSync } from 'node:fs';

const config = JSON.parse(readFileSync(process.env.TUNEBOARD_CONFIG_FILE, 'utf8'));
const { lr, name } = config.optimizer;
const { warmup_ratio: warmupRatio } = config.scheduler;
const steps = config.max_steps;
const warmup = Math.max(1, Math.round(steps * warmupRatio));
const depth = config.model.layers.length;
// Deeper models and larger rates learn faster, until the rate is past what the depth tolerates.
const stableLimit = (warmupRatio > 0 ? 3e-3 : 1e-3) * (4 / depth);
const speed = Math.min(lr, stableLimit) * 10000 * Math.sqrt(32 / config.batch_size);
const floor = 2.2 + 8 / config.model.d_model ** 0.5 + (name === 'sgd' ? 0.4 : 0);

console.log(`training ${depth}-layer transformer (d_model=${config.model.d_model}) with ${name} lr=${lr} for ${steps} steps`);
for (let step = 0; step <= steps; step += 10) {
  const scheduled = step < warmup ? (lr * (step + 1)) / warmup : lr * 0.5 * (1 + Math.cos((Math.PI * (step - warmup)) / Math.max(1, steps - warmup)));
  let loss = floor + (10.4 - floor) * Math.exp((-speed * step) / steps);
  if (lr > stableLimit && step >= warmup) loss = step > warmup + 20 ? Number.NaN : loss * 3;
  const valLoss = loss + 0.05 + (0.1 * config.batch_size) / 256;
  console.log(JSON.stringify({ step, 'train/loss': loss, 'val/loss': valLoss, 'train/lr': scheduled }).replaceAll('null', 'NaN'));
  if (Number.isNaN(loss)) {
    console.error(`step ${step}: loss is NaN — the learning rate ${lr} is past what this model trains stably with`);
    process.exit(1);
  }
}
console.log('done');
