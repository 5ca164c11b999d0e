import os

# Before torch loads: OpenMP threads that spin-wait make small ops ~50x slower on a busy 2-core box.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402
import torch  # noqa: E402

# Keep the suite fast and reproducible on small CPUs.
torch.set_num_threads(min(2, os.cpu_count() or 1))

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
}


def tiny_run_config(family: str = "dcgan", steps: int = 4, run_dir: str = "", **train) -> dict:
    model = dict(TINY_MODELS[family])
    model.pop("vocabulary", None)  # a text model takes its characters from the data
    data = {"mlp": {"source": "ring8", "size": 512}, "charrnn": {"source": "sonnets"}}.get(
        family, {"source": "digits"}
    )
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
            **train,
        },
        "run_dir": run_dir,
    }


@pytest.fixture
def tiny_config():
    return tiny_run_config
