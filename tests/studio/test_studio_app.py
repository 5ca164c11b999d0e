"""The studio's functions through gradio_client against the in-process server (issue 17):
generate, like, save (the file verifies), path traversal, oversize upload, the run lock, and a
tiny training started, stopped and resumed."""

import json
import time

import numpy as np
import pytest
from PIL import Image

from artgan.provenance.verify import verify_file
from artgan.run_folder import Run

from .conftest import gradio_client

AppError = gradio_client.exceptions.AppError
handle_file = gradio_client.handle_file


def generate(client, seed=3, count=8, run="tiny"):
    return client.predict(run, seed, count, 0, [], "", True, api_name="/generate")


def test_generate_draws_a_page_deterministic_by_seed(client):
    gallery, index, said = generate(client)
    assert len(gallery) == 8 and index is None
    assert gallery[5]["caption"] == "seed 3 #5" and "8 samples of tiny" in said
    again, *_ = generate(client)
    other, *_ = generate(client, seed=4)
    pixels = [np.asarray(Image.open(g[0]["image"])) for g in (gallery, again, other)]
    assert np.array_equal(pixels[0], pixels[1])
    assert not np.array_equal(pixels[0], pixels[2])


def test_like_and_dislike_append_to_the_runs_feedback(client, runs):
    file = Run(runs / "tiny").feedback_file
    before = file.read_text().splitlines() if file.exists() else []
    generate(client)
    assert "liked seed 3 #2" in client.predict(2, api_name="/like")
    assert "disliked seed 3 #4" in client.predict(4, api_name="/dislike")
    lines = [json.loads(line) for line in file.read_text().splitlines()[len(before) :]]
    assert [(r["liked"], r["seed"], r["index"]) for r in lines] == [(True, 3, 2), (False, 3, 4)]
    assert len(lines[0]["latent"]) == 16  # the tiny run's z_dim: the very latent shown
    with pytest.raises(AppError, match="select an image"):
        client.predict(None, api_name="/like")


def test_a_saved_sample_is_signed_and_watermarked(client, runs):
    generate(client)
    path, said = client.predict(1, "my pick", 256, api_name="/save")
    saved = runs / "tiny" / "studio" / "my pick.png"
    assert saved.is_file() and "saved my pick.png" in said
    report = verify_file(saved)
    assert report.status == "valid"
    assert report.record["seed"] == 3 and report.record["params"]["index"] == 1
    assert report.watermark["found"] and report.watermark["matches_record"]
    assert open(path, "rb").read() == saved.read_bytes()  # the download is the signed file
    text, as_json = client.predict(handle_file(str(saved)), api_name="/verify")
    assert "manifest valid" in text and as_json["status"] == "valid"
    again, _ = client.predict(1, "my pick", 256, api_name="/save")  # never replaced
    assert (runs / "tiny" / "studio" / "my pick-2.png").is_file()


def test_requests_cannot_leave_the_runs_folder(client, runs, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (runs / "escape").symlink_to(outside, target_is_directory=True)
    try:
        for name in ("../tiny", "/etc", "escape", "tiny/../../x"):
            with pytest.raises(AppError, match="outside|not a name inside"):
                generate(client, run=name)
        generate(client)
        for name in ("../evil.png", "/tmp/evil.png", "a/b.png", ".."):
            with pytest.raises(AppError, match="plain file name|outside|not a name"):
                client.predict(0, name, 0, api_name="/save")
        with pytest.raises(AppError, match="outside|not a name inside"):
            client.predict("../new", "digits", "", 5, "", api_name="/train_start")
        with pytest.raises(AppError, match="cannot be given here"):
            client.predict("new", "digits", "", 5, "--config /etc/passwd", api_name="/train_start")
        with pytest.raises(AppError, match="--data FOLDER"):
            client.predict("new", str(outside), "", 5, "", api_name="/train_start")
    finally:
        (runs / "escape").unlink()
    assert not list(outside.iterdir()) and not (runs.parent / "new").exists()


def test_files_on_the_server_are_neither_inputs_nor_served(studio, runs):
    """A request naming a server path as if it were an upload is refused before any handler
    runs, and the runs folder itself is not served (saved files are handed out as copies)."""
    import httpx

    from artgan.studio.folders import OutsideError

    fake = {"path": "/etc/hostname", "meta": {"_type": "gradio.FileData"}}
    posted = httpx.post(studio.url + "gradio_api/call/verify", json={"data": [fake]})
    events = httpx.get(studio.url + f"gradio_api/call/verify/{posted.json()['event_id']}")
    assert "event: error" in events.text and "not uploaded by a user" in events.text
    for path in ("/etc/hostname", runs / "tiny" / "config.json"):
        assert httpx.get(f"{studio.url}gradio_api/file={path}").status_code == 403
    with pytest.raises(OutsideError, match="not an upload"):
        studio.folders.upload("/etc/hostname")


def test_an_oversize_upload_is_refused_in_one_line(client, tmp_path):
    big = tmp_path / "big.png"
    Image.new("RGB", (300, 300), "white").save(big)  # 0.09 MP, the studio allows 0.05
    with pytest.raises(AppError, match="more than --max-megapixels 0.05") as error:
        client.predict("tiny", handle_file(str(big)), 0, api_name="/invert")
    assert "Traceback" not in str(error.value)


def test_training_into_a_locked_run_is_refused(client, runs):
    with Run(runs / "tiny").lock():  # another process (here: this one) writes into the run
        with pytest.raises(AppError, match="in use"):
            client.predict("tiny", 4, api_name="/train_resume")


TINY = (
    "--model.image_size 32 --model.width 8 --model.z_dim 16 --batch-size 8 "
    "--train.log_every 1 --train.sample_every 0 --train.checkpoint_every 0 --train.threads 1"
)


def wait_for(studio, run, done, timeout=120):
    """Progress as the Train tab reads it (from the run folder), until ``done`` holds; read
    in-process rather than through the client: polling is most of what the wait costs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = studio.jobs.progress(run)
        if done(state):
            return state
        time.sleep(0.2)
    raise AssertionError(f"training did not get there in {timeout} s: {state}")


# The smallest training process: a 2-D point model (no image data to load, no image grid to
# watermark); the browser test trains on images.
TINY_POINTS = (
    "--model.width 32 --model.depth 2 --model.z_dim 8 --batch-size 8 --train.log_every 1 "
    "--train.sample_every 0 --train.checkpoint_every 0 --train.threads 1"
)


def test_training_starts_and_stops_with_a_checkpoint(client, runs, studio):
    client.predict("fresh", "ring8", "mlp", 100000, TINY_POINTS, api_name="/train_start")
    wait_for(studio, "fresh", lambda s: s.step >= 2)
    with pytest.raises(AppError, match="training already"):  # a second tab, the same run
        client.predict("fresh", 10, api_name="/train_resume")
    assert "stopping fresh" in client.predict(api_name="/train_stop")
    studio.jobs.wait("fresh", 120)
    state = client.predict("fresh", api_name="/train_status")
    assert state["state"] == "stopped", state
    latest = (runs / "fresh" / "checkpoints" / "LATEST").read_text().strip()
    assert latest == f"step-{state['step']:08d}"  # a checkpoint at the step it stopped


def test_resume_runs_the_command_lines_resume(studio, runs, monkeypatch):
    """Resume is ``artgan train --resume RUN --steps N`` (whose exact continuation the
    trainer's tests check), in a process of its own."""
    from artgan.studio import training

    started = []

    class FakeProcess:
        def __init__(self, argv, **kwargs):
            started.append(argv)

        def poll(self):
            return 0

        def wait(self, timeout=None):
            return 0

    monkeypatch.setattr(training.subprocess, "Popen", FakeProcess)
    job = studio.jobs.resume("tiny", 7)
    del studio.jobs.jobs[job.run]
    argv = started[-1]
    assert argv[1:4] == ["-m", "artgan", "train"]
    assert argv[argv.index("--resume") + 1] == str((runs / "tiny").resolve())
    assert argv[argv.index("--steps") + 1] == "7"
