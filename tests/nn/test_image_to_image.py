"""Shared image-to-image networks: shapes on any valid size, the 70x70 PatchGAN."""

import torch

from artgan.nn.image_to_image import (
    PatchDiscriminator,
    ResnetGenerator,
    UNetGenerator,
    patch_receptive_field,
)


def test_generators_keep_the_size_of_any_valid_input():
    resnet = ResnetGenerator(3, 3, width=4, blocks=1).eval()
    unet = UNetGenerator(3, 1, width=4, depth=3).eval()
    for h, w in ((8, 8), (12, 20)):
        assert resnet(torch.zeros(1, 3, h, w)).shape == (1, 3, h, w)
    assert unet(torch.zeros(2, 3, 16, 24)).shape == (2, 1, 16, 24)


def test_patchgan_sees_70x70_patches():
    assert patch_receptive_field(3) == 70
    d = PatchDiscriminator(3, width=4, layers=3)
    assert d(torch.zeros(2, 3, 256, 256)).shape == (2, 30 * 30)  # the paper's 30x30 map
    # Changing a pixel far outside a score's 70x70 patch leaves that score unchanged (without
    # instance norm, whose statistics span the whole image); one inside changes it.
    d = PatchDiscriminator(3, width=4, layers=3, norm="none")
    x = torch.randn(1, 3, 128, 128)
    y = x.clone()
    y[..., 127, 127] += 5.0
    first = lambda t: d.out(d.body(t))[0, 0, 0, 0]  # noqa: E731  (the top-left score)
    assert torch.equal(first(x), first(y))
    y[..., 40, 40] += 5.0  # the top-left patch spans pixels -23..46 (padding)
    assert not torch.equal(first(x), first(y))
