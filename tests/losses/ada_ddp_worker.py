"""Run under torchrun by test_ada.py: two processes whose discriminators disagree must still
adjust ADA's p from the pooled signs, so every rank holds the same p."""

import torch
import torch.distributed as dist

from artgan.losses.ada import AdaptiveAugment

dist.init_process_group("gloo")
rank = dist.get_rank()
ada = AdaptiveAugment(kimg=1.0, interval=2)
# Rank 0 alone would raise p (r_t = 1), rank 1 alone lower it (r_t = 0); pooled r_t = 0.5.
scores = torch.ones(8, 1) if rank == 0 else torch.tensor([[1.0], [-1.0]] * 4)
for _ in range(2):
    ada.observe(scores, images=8)
first = ada.p
# Now rank 1 says 0.5 alone (would lower p), pooled 0.75 > 0.6: p rises by 32 / 1000.
scores = torch.ones(8, 1) if rank == 0 else torch.tensor([[1.0], [1.0], [1.0], [-1.0]] * 2)
for _ in range(2):
    ada.observe(scores, images=8)
gathered = [None, None]
dist.all_gather_object(gathered, (first, ada.p))
if rank == 0:
    print(f"ada p per rank: {gathered}")
dist.destroy_process_group()
