"""The studio served in-process for gradio_client: a runs folder with one tiny trained run,
the app launched on a free local port without blocking, a client per test (its own session)."""

import socket

import pytest

import artgan
from tests.conftest import tiny_run_config

gradio = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="package")
def runs(tmp_path_factory):
    """runs/tiny: a dcgan of 32 px digits trained one step (what the studio needs to draw)."""
    folder = tmp_path_factory.mktemp("studio") / "runs"
    artgan.train(tiny_run_config(steps=1, run_dir=str(folder / "tiny")))
    return folder


@pytest.fixture(scope="package")
def studio(runs, tmp_path_factory):
    from artgan.studio.app import launch, make_studio

    made = make_studio(runs, max_megapixels=0.05)  # 0.05 MP: an oversize upload stays small
    app, url = launch(made, port=free_port(), block=False, quiet=True)
    made.url = url
    yield made
    made.jobs.shutdown()
    app.close()


@pytest.fixture
def client(studio):
    return gradio_client.Client(studio.url, verbose=False, download_files=True)
