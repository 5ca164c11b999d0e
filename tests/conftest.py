import os

# Before torch loads: OpenMP threads that spin-wait make small ops ~50x slower on a busy 2-core box.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402
import torch  # noqa: E402

# Keep the suite fast and reproducible on small CPUs. Trainings take this count too, rather
# than the free cores (training/threads.py): float sums differ between thread counts, and the
# exact-resume tests compare a run with another that may start under a different load.
TEST_THREADS = min(2, os.cpu_count() or 1)
torch.set_num_threads(TEST_THREADS)

CONDITIONAL_DIGITS = {"conditional": True, "num_classes": 10, "class_names": list("0123456789")}

# Tiny but complete configurations of every model family, used by the shared model checks and
# the end-to-end tests. A new family must add itself here (a test checks that).
TINY_MODELS = {
    "dcgan": {"name": "dcgan", "image_size": 32, "channels": 1, "width": 8, "z_dim": 16},
    "resnet": {"name": "resnet", "image_size": 32, "channels": 3, "width": 8, "z_dim": 16},
    "mlp": {"name": "mlp", "data_shape": [2], "width": 32, "depth": 2, "z_dim": 8},
    "vae": {"name": "vae", "image_size": 32, "channels": 1, "width": 4, "z_dim": 8},
    "vaegan": {"name": "vaegan", "image_size": 32, "channels": 3, "width": 4, "z_dim": 8},
    "charrnn": {
        "name": "charrnn",
        "vocabulary": list("\n abcdefg"),
        "width": 8,
        "layers": 2,
        "seq_len": 12,
        "bptt": 5,
    },
    "wavegan": {"name": "wavegan", "width": 2, "z_dim": 8},
    "advgan": {
        "name": "advgan",
        "image_size": 16,
        "channels": 1,
        "width": 4,
        "blocks": 1,
        "d_width": 4,
        "eps": 0.1,
    },
    "srresnet": {
        "name": "srresnet",
        "scale": 2,
        "image_size": 32,
        "patch_size": 16,
        "channels": 3,
        "width": 8,
        "blocks": 2,
    },
    "srgan": {
        "name": "srgan",
        "scale": 2,
        "image_size": 32,
        "patch_size": 16,
        "channels": 3,
        "width": 8,
        "blocks": 1,
        "d_width": 4,
        "perceptual_blocks": 2,
    },
    "fastgan": {"name": "fastgan", "image_size": 128, "channels": 3, "width": 8, "z_dim": 16},
    "inpaint": {"name": "inpaint", "image_size": 32, "channels": 3, "width": 8, "depth": 2},
    "lama": {
        "name": "lama",
        "image_size": 32,
        "channels": 3,
        "width": 8,
        "depth": 2,
        "blocks": 1,
        "d_width": 4,
        "perceptual_blocks": 2,
    },
    "cyclegan": {
        "name": "cyclegan",
        "image_size": 16,
        "channels": 3,
        "width": 4,
        "blocks": 1,
        "d_width": 4,
        "d_layers": 2,
        "pool_size": 4,
    },
    "pix2pix": {
        "name": "pix2pix",
        "image_size": 16,
        "channels": 3,
        "width": 4,
        "depth": 4,
        "d_width": 4,
        "d_layers": 2,
    },
    # Classifiers (domain adaptation): 16 px is the smallest side the paper's network takes.
    "classifier": {"name": "classifier", "image_size": 16, "channels": 3, "widths": [4, 6]},
    "dann": {
        "name": "dann",
        "image_size": 16,
        "channels": 3,
        "widths": [4, 6],
        "hidden": 8,
        "domain_hidden": 8,
    },
    "voxelgan": {
        "name": "voxelgan",
        "image_size": 16,
        "channels": 3,
        "width": 4,
        "d_width": 4,
        "z_dim": 8,
    },
    "segan": {"name": "segan", "window": 256, "width": 2, "depth": 4, "kernel": 7},
    # Class-conditional variants (one per discriminator conditioning), fitting `digits`' classes.
    "dcgan-cond": {
        **CONDITIONAL_DIGITS,
        "name": "dcgan",
        "image_size": 32,
        "channels": 1,
        "width": 8,
        "z_dim": 16,
    },
    "resnet-cond": {
        **CONDITIONAL_DIGITS,
        "name": "resnet",
        "image_size": 32,
        "channels": 1,
        "width": 8,
        "z_dim": 16,
        "cond_d": "multihead",
    },
    "fastgan-cond": {
        **CONDITIONAL_DIGITS,
        "name": "fastgan",
        "image_size": 128,
        "channels": 1,
        "width": 8,
        "z_dim": 16,
        "cond_d": "multihead",
    },
    "mlp-cond": {
        **CONDITIONAL_DIGITS,
        "name": "mlp",
        "data_shape": [1, 8, 8],
        "width": 32,
        "depth": 2,
        "z_dim": 8,
        "cond_d": "acgan",
    },
}


# Command-line flags that keep a test run small and quiet.
QUIET_CLI = ["--train.progress", "false", "--train.tensorboard", "false"]
QUIET_CLI += ["--train.threads", str(TEST_THREADS)]
TINY_DCGAN_CLI = ["--model.image_size", "32", "--model.width", "8", "--model.z_dim", "16"]
TINY_DCGAN_CLI += ["--batch-size", "8", *QUIET_CLI]


def tiny_run_config(family: str = "dcgan", steps: int = 4, run_dir: str = "", **train) -> dict:
    model = dict(TINY_MODELS[family])
    model.pop("vocabulary", None)  # a text model takes its characters from the data
    data = {
        "mlp": {"source": "ring8", "size": 512},
        "charrnn": {"source": "sonnets"},
        # Two domains from one built-in dataset, a style each. (pix2pix's pairs come from
        # files: its tests make a folder and set data.source.)
        "cyclegan": {"source": "art:mondrian", "source_b": "art:rothko", "size": 40},
        "voxelgan": {"source": "shapes3d", "size": 32},
    }.get(family, {"source": "digits"})
    return {
        "model": model,
        "data": data,
        "train": {
            "steps": steps,
            "batch_size": 8,
            "progress": False,
            "sample_every": 0,
            "checkpoint_every": 0,
            "log_every": 1,
            "tensorboard": False,
            "threads": TEST_THREADS,
            **train,
        },
        "run_dir": run_dir,
    }


@pytest.fixture
def tiny_config():
    return tiny_run_config


@pytest.fixture(autouse=True, scope="session")
def artgan_home(tmp_path_factory):
    """Per-user files (the signing key made on first use) go to a temporary folder for the whole
    session, never to the user's home; an outside signing identity is ignored."""
    names = ("ARTGAN_HOME", "ARTGAN_SIGNING_CERT", "ARTGAN_SIGNING_KEY")
    saved = {name: os.environ.pop(name, None) for name in names}
    home = tmp_path_factory.mktemp("artgan-home")
    os.environ["ARTGAN_HOME"] = str(home)
    yield home
    for name, value in saved.items():
        os.environ.pop(name, None)
        if value is not None:
            os.environ[name] = value
