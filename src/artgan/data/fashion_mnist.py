"""`fashion-mnist`: Zalando's Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017), 70,000 grey 28x28
images of clothing in 10 classes; train 60,000, test 10,000.

Nothing is downloaded: the IDX files come from $ARTGAN_FASHION_MNIST or the Debian package
``dataset-fashion-mnist``. The IDX format (LeCun's MNIST files) is a few header bytes and raw
uint8 data, so a short numpy reader replaces a dependency.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import DataError
from ..registry import DATASETS
from .dataset import DataReport, InMemoryDataset, resize_images
from .digits import grey_to_color

ENV_VAR = "ARTGAN_FASHION_MNIST"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASS_NAMES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
IDX_UBYTE = 0x08  # the IDX type code of unsigned bytes, the only one Fashion-MNIST uses
HOW_TO_GET = (
    "install the Debian package (apt-get install dataset-fashion-mnist) or set "
    f"{ENV_VAR} to a folder holding train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz"
)


def find_file(stem: str) -> Path:
    """``stem`` (.gz or uncompressed) in $ARTGAN_FASHION_MNIST, else the Debian folder."""
    folders = [Path(os.environ[ENV_VAR]).expanduser()] if os.environ.get(ENV_VAR) else []
    folders.append(DEBIAN_DIR)
    for folder in folders:
        for name in (f"{stem}.gz", stem):
            if (folder / name).is_file():
                return folder / name
    raise DataError(
        f"Fashion-MNIST file {stem}(.gz) not found in "
        f"{' or '.join(map(str, folders))}; {HOW_TO_GET}"
    )


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """An IDX file of unsigned bytes with ``ndim`` dimensions, checked against its header."""
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as error:  # bad gzip header, cut short, bad data
        raise DataError(f"cannot read {path}: {error}; {HOW_TO_GET}") from None
    header = 4 + 4 * ndim
    # Magic number: two zero bytes, the type code, the number of dimensions.
    if len(data) < header or data[:4] != bytes([0, 0, IDX_UBYTE, ndim]):
        raise DataError(
            f"{path} is not an IDX file of {ndim}-d unsigned bytes "
            f"(magic {data[:4].hex() or 'missing'}); {HOW_TO_GET}"
        )
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    if len(data) - header != int(np.prod(shape)):
        raise DataError(
            f"{path} is truncated or corrupt: header says {shape}, "
            f"{len(data) - header} bytes of data follow; {HOW_TO_GET}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


@DATASETS.register("fashion-mnist")
def load_fashion_mnist(config: DataConfig, image_size: int | None = None) -> InMemoryDataset:
    split = "test" if config.split == "test" else "train"
    images_stem, labels_stem = FILES[split]
    images = read_idx(find_file(images_stem), ndim=3)  # (N, H, W)
    labels = read_idx(find_file(labels_stem), ndim=1)  # (N,)
    if len(images) != len(labels):
        raise DataError(
            f"Fashion-MNIST {split}: {len(images)} images but {len(labels)} labels; {HOW_TO_GET}"
        )
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise DataError(f"Fashion-MNIST {split}: label {labels.max()} out of range 0..9")
    if config.limit:
        images, labels = images[: config.limit], labels[: config.limit]
    x = torch.from_numpy(images.copy())[:, None]  # (N, 1, H, W)
    x = grey_to_color(resize_images(x, image_size or 28), config.color)
    report = DataReport(name=f"fashion-mnist ({split})", count=len(x))
    return InMemoryDataset(
        x, torch.from_numpy(labels.astype(np.int64)), CLASS_NAMES, report, flip=config.flip
    )
