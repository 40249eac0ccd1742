// Benchmark (not a test): sample efficiency of TPE against random search, issue #15's protocol: Branin, Hartmann-6
// and Branin with noise (σ = 1; scored on the true value), 50 trials, 20 seeds; the median over seeds of the best
// value found, and its distance to the known optimum. Also the time of one TPE suggestion with 10,000 finished
// trials in the history. With Debian's python3-optuna installed, runs Optuna's TPE and random samplers on the same
// protocol (bench/optuna_reference.py) and prints them beside ours.
// Run: npm run bench -w @tuneboard/sweeps   (TRIALS=50 SEEDS=20)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { branin, createRng, hartmann6, noisyBranin, randomConfiguration, tpeConfiguration, type TestFunction, type Trial } from '../src/index';

const TRIALS = Number(process.env.TRIALS ?? 50);
const SEEDS = Number(process.env.SEEDS ?? 20);
const functions = [branin, hartmann6, noisyBranin];

function bestFound(fn: TestFunction, sampler: 'tpe' | 'random', seed: number): number {
  const rng = createRng(seed);
  const noise = createRng(seed + 1_000_003);
  const trials: Trial[] = [];
  let best = Infinity;
  for (let i = 0; i < TRIALS; i++) {
    const params = sampler === 'tpe' ? tpeConfiguration(fn.space, trials, rng) : randomConfiguration(fn.space, rng);
    const trueValue = (fn === noisyBranin ? branin : fn).evaluate(params, noise);
    best = Math.min(best, trueValue);
    trials.push({ params, loss: fn.evaluate(params, noise), state: 'complete' });
  }
  return best;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const fmt = (x: number) => x.toFixed(4);

function suggestionTime(historySize: number): { medianMs: number } {
  const rng = createRng(1);
  const space = { ...hartmann6.space, opt: { type: 'categorical' as const, values: ['adam', 'sgd', 'rmsprop'] } };
  const trials: Trial[] = Array.from({ length: historySize }, () => {
    const params = randomConfiguration(space, rng);
    return { params, loss: hartmann6.evaluate(params, rng), state: 'complete' as const };
  });
  const times: number[] = [];
  for (let i = 0; i < 21; i++) {
    const started = performance.now();
    tpeConfiguration(space, trials, rng);
    times.push(performance.now() - started);
  }
  return { medianMs: +median(times).toFixed(2) };
}

const ours = Object.fromEntries(
  functions.map((fn) => [
    fn.name,
    {
      tpe: Array.from({ length: SEEDS }, (_, seed) => bestFound(fn, 'tpe', seed)),
      random: Array.from({ length: SEEDS }, (_, seed) => bestFound(fn, 'random', seed)),
    },
  ]),
);

let optuna: { optuna: string; results: Record<string, { tpe: number[]; random: number[] }> } | undefined;
const reference = fileURLToPath(new URL('optuna_reference.py', import.meta.url));
if (existsSync('/usr/bin/python3')) {
  try {
    optuna = JSON.parse(execFileSync('/usr/bin/python3', [reference, String(TRIALS), String(SEEDS)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  } catch (error) {
    console.error(`Optuna's reference did not run (apt-get install python3-optuna): ${(error as Error).message.split('\n')[0]}`);
  }
}

console.log(`${TRIALS} trials, ${SEEDS} seeds: median (over seeds) of the best true value found; in brackets, its gap to the optimum`);
console.log(['function', 'Tuneboard TPE', 'Tuneboard random', ...(optuna ? [`Optuna ${optuna.optuna} TPE`, `Optuna random`] : [])].join(' | '));
for (const fn of functions) {
  const cells = [ours[fn.name]!.tpe, ours[fn.name]!.random, ...(optuna ? [optuna.results[fn.name]!.tpe, optuna.results[fn.name]!.random] : [])].map(
    (list) => `${fmt(median(list))} (${fmt(median(list) - fn.minimum)})`,
  );
  console.log([fn.name, ...cells].join(' | '));
}
for (const size of [1_000, 10_000])
  console.log(`TPE suggestion with ${size.toLocaleString('en')} finished trials (7 paths): ${suggestionTime(size).medianMs} ms (median of 21)`);
