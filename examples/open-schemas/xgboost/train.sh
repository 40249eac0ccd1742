#!/bin/sh
# A stand-in for an XGBoost training script, in plain POSIX shell and awk (no Python needed): it reads its flat
# config from the file `tuneboard run` hands it and prints one JSON metrics line per boosting round, the
# validation AUC shaped by depth (deep trees overfit), eta and subsampling the way real ones are.
set -eu
value() { grep -o "\"$1\": *[-0-9.eE+]*" "$TUNEBOARD_CONFIG_FILE" | sed 's/.*: *//'; }
max_depth=$(value max_depth)
eta=$(value eta)
subsample=$(value subsample)
rounds=$(value num_boost_round)
echo "xgboost: max_depth=$max_depth eta=$eta subsample=$subsample rounds=$rounds"
awk -v depth="$max_depth" -v eta="$eta" -v subs="$subsample" -v rounds="$rounds" 'BEGIN {
  # Deep trees fit the training set and lose on validation; subsampling helps a little.
  best = 0.93 - 0.012 * (depth > 6 ? depth - 6 : 6 - depth) * (depth > 6 ? 1.5 : 1) + 0.02 * (1 - subs)
  for (round = 0; round < rounds; round++) {
    progress = 1 - exp(-eta * (round + 1) / 2)
    train_loss = 0.69 * exp(-eta * (round + 1) * (0.5 + depth / 12))
    auc = 0.5 + (best - 0.5) * progress
    printf "{\"step\": %d, \"train/logloss\": %.6f, \"valid/auc\": %.6f}\n", round, train_loss, auc
  }
}'
echo "saved model.json"
