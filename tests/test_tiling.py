"""Tiled application of image-to-image networks: equal to the untiled output, any size,
bounded memory."""

import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from artgan.errors import ConfigError
from artgan.tiling import ramp, tile_starts, tiled_apply
from tests.models.test_model_checks import make


def test_tile_starts_cover_every_pixel_with_whole_tiles():
    for length in (1, 15, 16, 17, 40, 100):
        starts = tile_starts(length, 16, 4)
        covered = np.zeros(length, bool)
        for s in starts:
            assert s >= 0 and (s + 16 <= length or length < 16)
            covered[s : s + 16] = True
        assert covered.all()


def test_ramps_of_neighbours_sum_to_one_across_the_overlap():
    a = ramp(32, 8, before=False, after=True)
    b = ramp(32, 8, before=True, after=False)
    assert np.allclose(a[-8:] + b[:8], 1.0)
    assert a[-1] == 0 and b[0] == 0  # the outer quarter (zero-padded context) is not used
    assert np.all(ramp(32, 8, False, False) == 1)


def untiled(fn, image: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        y = fn(x)[0].clamp(-1, 1)
    return ((y + 1) * 127.5).round().byte().permute(1, 2, 0).numpy()


@pytest.mark.parametrize("height,width", [(37, 53), (16, 16), (9, 70)])
def test_tiled_equals_untiled_when_the_receptive_field_fits_the_overlap(height, width):
    torch.manual_seed(0)
    net = torch.nn.Sequential(  # 2x, receptive field radius 1 LR pixel
        torch.nn.Conv2d(3, 12, 3, padding=1), torch.nn.PixelShuffle(2), torch.nn.Tanh()
    )
    image = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    whole = untiled(net, image)
    tiled = tiled_apply(net, image, scale=2, tile=16, overlap=6)
    assert tiled.shape == (2 * height, 2 * width, 3) == whole.shape
    assert np.abs(tiled.astype(int) - whole.astype(int)).max() <= 1  # rounding only


def test_tiled_sr_model_is_close_to_untiled():
    model = make("srresnet").eval()  # receptive field radius ~12 LR pixels
    image = np.random.default_rng(0).integers(0, 256, (45, 61, 3), dtype=np.uint8)
    whole = untiled(model.G, image).astype(int)
    tiled = tiled_apply(model.G, image, scale=2, tile=32, overlap=12).astype(int)
    assert tiled.shape == whole.shape == (90, 122, 3)
    assert np.abs(tiled - whole).mean() < 0.1
    assert np.abs(tiled - whole).max() <= 4


def test_tiled_identity_is_exact_and_keeps_odd_sizes():
    image = np.random.default_rng(1).integers(0, 256, (23, 41, 1), dtype=np.uint8)

    def nearest(x):
        return F.interpolate(x, scale_factor=3, mode="nearest")

    out = tiled_apply(nearest, image, scale=3, tile=8, overlap=3)
    assert out.shape == (69, 123, 1)
    assert np.array_equal(out, image.repeat(3, 0).repeat(3, 1))


def test_memory_is_the_output_accumulator_not_a_multiple_of_it():
    image = np.zeros((300, 300, 3), np.uint8)
    tracemalloc.start()
    out = tiled_apply(lambda x: x.repeat_interleave(4, -1).repeat_interleave(4, -2), image, 4)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    pixels = out.shape[0] * out.shape[1]  # 1200 x 1200
    # float32 RGB accumulator + float32 weights + the uint8 result = 19 bytes per pixel, plus
    # one tile's weights and one band of rows, whatever the image size
    assert 19 * pixels < peak < 19 * pixels + 12 * 2**20


def test_bad_tiles_are_refused():
    with pytest.raises(ConfigError, match="more than twice the overlap"):
        tiled_apply(lambda x: x, np.zeros((4, 4, 3), np.uint8), 1, tile=8, overlap=4)
