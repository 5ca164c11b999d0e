"""Run under torchrun by test_distributed.py: train, then check every rank holds the same
weights (gradients are averaged, so the replicas must never drift apart)."""

import sys

import torch
import torch.distributed as dist

from artgan.training.run import build_run_config
from artgan.training.trainer import Trainer
from tests.conftest import tiny_run_config

config = build_run_config(tiny_run_config("mlp", steps=12, run_dir=sys.argv[1]))
trainer = Trainer(config)
trainer._setup()
trainer._loop()
flat = torch.cat([p.detach().reshape(-1) for p in trainer.model.parameters()])
gathered = [torch.zeros_like(flat) for _ in range(dist.get_world_size())]
dist.all_gather(gathered, flat)
if dist.get_rank() == 0:
    spread = max((g - gathered[0]).abs().max().item() for g in gathered)
    print(
        f"ranks={dist.get_world_size()} batch_per_rank={trainer.stream.order.batch_size} "
        f"max_weight_difference={spread}"
    )
dist.destroy_process_group()
