"""Training: scene splits, patch shards and tf.data, losses, the training run."""
