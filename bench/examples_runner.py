"""Run pytorch/examples' ``dcgan/main.py`` unchanged, in its own environment.

bench/train_throughput.py starts this with the examples' Python (bench/.venv-examples, or
bench/.venv-lwgan, which has the same torch and torchvision) and imports nothing of artgan:
torchvision comes in through bench/torchvision_cpu.py, then the script runs as ``__main__``
with the arguments given after its path.

    bench/.venv-examples/bin/python bench/examples_runner.py bench/.examples/dcgan/main.py \
        --dataset mnist --dataroot DIR --manualSeed 0 --outf OUT
"""

from __future__ import annotations

import runpy
import sys

from torchvision_cpu import import_torchvision

if __name__ == "__main__":
    import_torchvision()
    script, *arguments = sys.argv[1:]
    sys.argv = [script, *arguments]
    runpy.run_path(script, run_name="__main__")
