"""The studio served in-process for gradio_client: a runs folder with one tiny trained run,
the app launched on a free local port without blocking (one server for the whole package), a
client per test (its own session)."""

import socket

import pytest

import artgan
from artgan.studio.gradio_setup import prepare_gradio_import
from tests.conftest import tiny_run_config

prepare_gradio_import()  # as the studio does before Gradio loads (1.3 CPU s less)
gradio = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_without_preview(config: dict):
    """``artgan.train`` without the preview grid it writes at the end: the studio reads the
    checkpoint only, and watermarking that grid was most of a 1-step training's CPU (1-2 s
    each; the preview is the trainer's, tested with it)."""
    from artgan.training.trainer import Trainer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Trainer, "write_preview", lambda self: None)
        return artgan.train(config)


@pytest.fixture(scope="package")
def runs(tmp_path_factory):
    """runs/tiny: a dcgan of 32 px digits trained one step (what the studio needs to draw)."""
    folder = tmp_path_factory.mktemp("studio") / "runs"
    train_without_preview(tiny_run_config(steps=1, run_dir=str(folder / "tiny")))
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
    # ssl_verify off: the server is plain http on 127.0.0.1, and with it on gradio_client
    # built a TLS context (loading every CA certificate) for each file it downloaded
    return gradio_client.Client(studio.url, verbose=False, download_files=True, ssl_verify=False)
