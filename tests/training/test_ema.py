"""The averaged (EMA) generator: its batch-norm statistics are its own, not the live one's."""

import torch
from torch.nn.modules.batchnorm import _BatchNorm

import artgan
from artgan.training.checkpoint import load_model
from tests.conftest import tiny_run_config


def first_norm_input_mean(model, n=512):
    """Per-channel mean of what the generator's first batch norm sees on fresh latents."""
    norm = next(m for m in model.G.modules() if isinstance(m, _BatchNorm))
    seen = []
    handle = norm.register_forward_hook(lambda m, inputs, out: seen.append(inputs[0]))
    model.sample(n, seed=123)
    handle.remove()
    x = torch.cat(seen)
    return norm, x.transpose(0, 1).flatten(1).mean(1)


def test_ema_generator_carries_batch_norm_statistics_of_its_own_activations(tmp_path):
    run = artgan.train(tiny_run_config("dcgan", steps=12, run_dir=str(tmp_path), ema_decay=0.9))
    averaged = load_model(run)  # the EMA weights
    norm, seen = first_norm_input_mean(averaged)
    # Re-measured from the averaged generator: its running mean is what it actually sees.
    own_error = (norm.running_mean - seen).abs().mean()
    live = load_model(run, use_ema=False)
    live_norm = next(m for m in live.G.modules() if isinstance(m, _BatchNorm))
    borrowed_error = (live_norm.running_mean - seen).abs().mean()
    assert own_error < 0.5 * borrowed_error, (own_error, borrowed_error)
    # Deterministic: measuring again from the private seed gives the same statistics.
    before = norm.running_mean.clone()
    averaged.refresh_ema_statistics()
    torch.testing.assert_close(norm.running_mean, before)


def test_standing_statistics_take_fewer_samples_for_large_images():
    """1,024 samples up to 64 px (as always), 256 from 128 px up: a 256 px FastGAN spent
    minutes re-measuring at every preview and checkpoint on a CPU."""
    from artgan.models.gan import standing_statistics_batches

    assert standing_statistics_batches(32 * 32 * 3) == (16, 64)
    assert standing_statistics_batches(64 * 64 * 3) == (16, 64)
    assert standing_statistics_batches(128 * 128 * 3) == (16, 16)
    assert standing_statistics_batches(1024 * 1024 * 3) == (16, 16)
    assert standing_statistics_batches(2) == (16, 64)


def reference_ema(shadow: dict, live: dict, decay: float) -> dict:
    """The textbook per-parameter update, one tensor at a time."""
    return {name: decay * shadow[name] + (1.0 - decay) * live[name] for name in shadow}


def test_foreach_update_equals_the_per_parameter_update():
    from artgan.training.ema import EMA, ema_decay

    torch.manual_seed(0)
    live = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8))
    live.to(memory_format=torch.channels_last)  # as the trainer keeps a DCGAN
    ema = EMA(live, decay=0.999, start=2)
    expected = {k: v.clone() for k, v in live.named_parameters()}
    for step in range(6):
        with torch.no_grad():
            for p in live.parameters():
                p.add_(torch.randn_like(p))
        live(torch.randn(4, 3, 8, 8))  # moves the batch-norm statistics
        ema.update(live, step)
        current = {k: v.detach() for k, v in live.named_parameters()}
        expected = reference_ema(expected, current, ema_decay(0.999, step, start=2))
        for name, value in ema.shadow.named_parameters():
            torch.testing.assert_close(value, expected[name], rtol=1e-6, atol=1e-6)
        for (name, value), (_, own) in zip(ema.shadow.named_buffers(), live.named_buffers()):
            assert torch.equal(value, own), name  # statistics are carried, not averaged
    assert ema_decay(0.999, 1, start=2) == 0.0 and 0 < ema_decay(0.999, 5, start=2) < 0.999
