"""The Train tab's work: ``artgan train`` as a separate process, its progress read back from
the run folder (the log's last step, the newest preview, the losses), stop and resume.

The process is the command line itself (``python -m artgan train ...``), so a run the studio
trains is the run the CLI would train, and stopping it is Ctrl-C: SIGINT makes the trainer
finish its step and save a checkpoint there, from which ``--resume`` continues exactly
(training/interrupt.py). One run, one writer: the studio refuses a second training of a run it
is training already, and the trainer's own run lock (run_lock.py) refuses one started by
another studio or a terminal.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from ..data import DATASETS  # the registry, with the built-in datasets registered
from ..errors import ConfigError
from ..run_folder import Run
from ..run_lock import RunLockedError
from ..training.logs import loss_curve_panels, read_log
from .folders import StudioFolders, inside

MAX_STEPS = 1_000_000
OUTPUT_TAIL = 4000  # characters of the process's output kept for the page
# Options a page may add to the command: model and training settings only. Options that name
# files or folders (--config, --run-dir, --resume, --data-a, --data.*) are the studio's to set.
ALLOWED_OPTIONS = (
    "--model.",
    "--train.",
    "--batch-size",
    "--image-size",
    "--loss",
    "--preset",
    "--seed",
    "--conditional",
    "--scale",
)


@dataclass
class Job:
    run: Path
    process: subprocess.Popen
    output: Path  # the process's stdout and stderr
    command: list[str]

    @property
    def running(self) -> bool:
        return self.process.poll() is None


@dataclass(frozen=True)
class Progress:
    run: str
    state: str  # "training", "stopping", "finished", "stopped", "failed", "idle"
    step: int
    steps: int  # the run's total
    message: str  # one line for the page
    preview: Path | None  # the newest preview grid
    losses: list[tuple[int, str, float]]  # (step, series, value) of the loss curve's losses

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.steps) if self.steps else 0.0


def extra_options(text: str) -> list[str]:
    """The page's extra options, each one the trainer takes and none that names a path."""
    try:
        words = shlex.split(text or "")
    except ValueError as error:
        raise ConfigError(f"cannot read the extra options: {error}") from None
    for word in words:
        if word.startswith("-") and not word.startswith(ALLOWED_OPTIONS):
            raise ConfigError(
                f"{word} cannot be given here: the studio sets the data, run folder and "
                "resume itself; extra options are --model.*, --train.*, --batch-size, "
                "--image-size, --loss, --preset, --seed, --conditional, --scale"
            )
    return words


class TrainingJobs:
    """The trainings this studio started, one per run at most."""

    def __init__(self, folders: StudioFolders, python: str = sys.executable):
        self.folders, self.python = folders, python
        self.jobs: dict[Path, Job] = {}
        self._lock = threading.Lock()

    def start(self, run_name: str, data: str, family: str, steps: int, extra: str = "") -> Job:
        """A new run ``run_name`` in the runs folder, trained on ``data`` (a built-in dataset
        or a folder inside a --data folder) for ``steps`` steps."""
        run = self.folders.run(run_name.strip()) if run_name.strip() else None
        if run is None or run == self.folders.runs.resolve():
            raise ConfigError("name the new run (a folder name inside the runs folder)")
        if Run(run).config_file.is_file():
            raise ConfigError(f"{run.name} exists already; resume it, or name a new run")
        source = self.data_source(data)
        command = ["train", "--data", source, "--steps", str(check_steps(steps))]
        command += ["--model", family] if family else []
        command += ["--run-dir", str(run), *self.quiet(), *extra_options(extra)]
        return self._spawn(run, command)

    def resume(self, run_name: str, steps: int | None = None) -> Job:
        """Continue the run where it stopped, to ``steps`` in all (None: its own total)."""
        run = self.folders.run(run_name)
        if not Run(run).config_file.is_file():
            raise ConfigError(f"{run_name} is not a run to resume")
        command = ["train", "--resume", str(run), *self.quiet()]
        if steps:
            command += ["--steps", str(check_steps(steps))]
        return self._spawn(run, command)

    def stop(self, run_name: str) -> str:
        """Ask the run's training to stop: it finishes its step and saves a checkpoint."""
        run = self.folders.run(run_name)
        job = self.jobs.get(run)
        if job is None or not job.running:
            raise ConfigError(f"{run.name} is not training in this studio")
        job.process.send_signal(signal.SIGINT)
        return f"stopping {run.name}: it finishes this step and saves a checkpoint"

    def wait(self, run_name: str, timeout: float | None = None) -> int:
        return self.jobs[self.folders.run(run_name)].process.wait(timeout)

    def progress(self, run_name: str) -> Progress:
        run = self.folders.run(run_name)
        folder = Run(run)
        entries, _ = read_log(folder.log_file)
        step = max((int(e.get("step", 0)) for e in entries), default=0)
        steps = int((folder.saved_config().get("train") or {}).get("steps", 0) or 0)
        job = self.jobs.get(run)
        state, message = self._state(job, step, steps)
        return Progress(
            run_name, state, step, steps, message, newest_preview(folder), losses(entries)
        )

    def shutdown(self) -> None:
        """Stop every training this studio started (each saves a checkpoint)."""
        for job in self.jobs.values():
            if job.running:
                job.process.send_signal(signal.SIGINT)
        for job in self.jobs.values():
            try:
                job.process.wait(60)
            except subprocess.TimeoutExpired:
                job.process.kill()

    # --- helpers ------------------------------------------------------------------------------
    def data_source(self, data: str) -> str:
        data = (data or "").strip()
        if not data:
            raise ConfigError("choose a built-in dataset or a data folder")
        if data in DATASETS:
            return data
        return str(self.folders.data_folder(data))

    @staticmethod
    def quiet() -> list[str]:
        return ["--train.progress", "false", "--train.tensorboard", "false"]

    def _spawn(self, run: Path, command: list[str]) -> Job:
        with self._lock:
            job = self.jobs.get(run)
            if job is not None and job.running:
                raise RunLockedError(
                    f"{run.name} is training already (started from this studio); stop it first"
                )
            if Run(run).is_locked():
                raise RunLockedError(
                    f"{run.name} is in use: another process is training in it; wait for it to "
                    "finish or choose another run"
                )
            run.mkdir(parents=True, exist_ok=True)
            output = inside(run, "studio-train.log", "log")
            argv = [self.python, "-m", "artgan", *command]
            with open(output, "wb") as handle:
                process = subprocess.Popen(
                    argv,
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    env={**os.environ, "PYTHONUNBUFFERED": "1"},
                )
            job = self.jobs[run] = Job(run, process, output, argv)
            return job

    @staticmethod
    def _state(job: Job | None, step: int, steps: int) -> tuple[str, str]:
        where = f"step {step} of {steps}" if steps else f"step {step}"
        if job is None:
            return "idle", f"not training ({where})"
        code = job.process.poll()
        if code is None:
            return "training", f"training: {where}"
        if code == 0:
            return "finished", f"finished: {where}"
        if code in (130, 128 + signal.SIGINT, -signal.SIGINT):
            return "stopped", f"stopped at {where}; Resume continues from there"
        return "failed", f"training failed: {last_line(job.output)}"


def check_steps(steps) -> int:
    try:
        steps = int(steps)
    except (TypeError, ValueError):
        raise ConfigError(f"steps must be a whole number, got {steps!r}") from None
    if not 1 <= steps <= MAX_STEPS:
        raise ConfigError(f"steps must be 1 to {MAX_STEPS:,}")
    return steps


def last_line(path: Path) -> str:
    """The last non-empty line of a process's output (its one-line error)."""
    try:
        text = path.read_bytes()[-OUTPUT_TAIL:].decode("utf-8", "replace")
    except OSError:
        return "(no output)"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def newest_preview(run: Run) -> Path | None:
    previews = sorted(p for p in run.samples.glob("step-*.*") if p.suffix == ".png")
    return previews[-1] if previews else None


def losses(entries: list[dict]) -> list[tuple[int, str, float]]:
    """The loss curve's loss lines as rows (step, series, value)."""
    keys = [key for key, _ in loss_curve_panels(entries)["losses"]]
    return [
        (int(e["step"]), key, float(e[key]))
        for e in entries
        for key in keys
        if isinstance(e.get(key), (int, float))
    ]
