"""The one training loop (DESIGN convention 4), for every family.

A model declares phases (which sub-networks, which optimizer settings, how often, how many
repeats) and a step function returning named losses. The trainer owns everything else:
device choice, optimizers, zero_grad/backward/step, mixed precision, gradient averaging across
processes, EMA, learning-rate decay, the NaN guard, logs, sample grids and checkpoints.

NaN guard: a NaN or infinite loss stops the run at once, before anything is saved, with an error
naming the last good checkpoint; ``artgan train --resume RUN`` continues from there (lower the
learning rate with --train.lr_g/--train.lr_d, or add a gradient penalty, first).
"""

from __future__ import annotations

import contextlib
import json
import math
import signal
import time
from pathlib import Path

import torch

from ..config import RunConfig, to_dict
from ..data import BatchStream, load_dataset
from ..devices import select_device
from ..errors import CheckpointError, ConfigError, TrainingDivergedError
from ..models import build_model
from ..output_kinds import kind_of
from ..provenance import GenerationRecord
from ..run_folder import Run
from ..sample import check_sample_count
from . import distributed
from .atomic import atomic_write_text
from .checkpoint import (
    EMA_FILE,
    MODEL_FILE,
    STATE_FILE,
    check_model_size,
    clean_leftovers,
    load_ema_tensors,
    load_model,
    load_raw_tensors,
    load_training_state,
    load_weights,
    model_meta,
    resolve_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
from .ema import EMA
from .estimate import StepTimer
from .interrupt import StopRequests, TrainingInterrupted, signal_name
from .logs import TrainingLog, plot_loss_curve
from .model_card import write_model_card
from .precision import autocast_dtype
from .preview import PREVIEW_SEED, write_preview
from .run import build_run_config, describe_defaults, new_run_dir, read_run_config
from .targets import load_classifier
from .threads import TRIAL_STEPS, ThreadTrial, choose_threads, resumed_threads

# Said after the time estimate when the run would take over half an hour.
LONG_RUN_HINT = "--preset quick or cpu, or fewer --steps, for a shorter run"


def lr_factor(step: int, total: int, kind: str, start_fraction: float) -> float:
    """Learning-rate multiplier at ``step``: constant, then linear or cosine decay to zero."""
    start = int(total * start_fraction)
    if kind == "none" or step < start:
        return 1.0
    progress = (step - start) / max(1, total - start)
    if kind == "linear":
        return max(0.0, 1.0 - progress)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def data_time_line(data_seconds: float, loop_seconds: float, steps: int) -> str:
    """The end-of-training line: how much of the step time went to waiting for batches."""
    share = 100.0 * data_seconds / max(1e-9, loop_seconds)
    per_step = 1000.0 / max(1, steps)
    return (
        f"data loading: {share:.1f} % of step time "
        f"({data_seconds * per_step:.1f} ms of {loop_seconds * per_step:.1f} ms a step)"
    )


class Trainer:
    def __init__(self, config: RunConfig, resume_from: Path | None = None):
        self.config = config
        self.resume_from = resume_from
        self._statistics_step: int | None = None  # when the EMA's BN statistics were measured
        self.run_lock = None  # the run folder's lock (run_lock.py), held while training

    # --- setup ---------------------------------------------------------------------------
    def _setup(self) -> None:
        c = self.config
        # The cores that are free now unless --train.threads says (threads.py says why); on a
        # GPU the CPU threads only feed it, and the same choice does no harm.
        self.threads = choose_threads(c.train.threads)
        torch.set_num_threads(self.threads.threads)
        device_type = (
            "cuda"
            if c.train.device.startswith("cuda")
            or (c.train.device == "auto" and torch.cuda.is_available())
            else "cpu"
        )
        self.dist = distributed.init(device_type)
        self.device = select_device(c.train.device, self.dist.local_rank)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if c.train.batch_size % self.dist.world:
            raise ConfigError(
                f"train.batch_size {c.train.batch_size} must divide by the {self.dist.world} "
                "processes"
            )
        self.autocast_dtype = autocast_dtype(c.train.precision, self.device)

        # The size of one item: image side, or a text window / audio clip length.
        item_size = getattr(c.model, "image_size", None) or getattr(c.model, "item_length", None)
        self.dataset = load_dataset(c.data, item_size)
        check_sample_count(  # a huge batch would hang allocating its data
            c.train.batch_size,
            self.dataset.spec.shape,
            what=f"train.batch_size {c.train.batch_size} items",
            advice="use a smaller --batch-size",
        )
        c.model.with_data(self.dataset.spec)
        if self.device.type != "cpu" and hasattr(self.dataset, "to"):
            self.dataset.to(self.device)  # uint8 batches become float there (data/dataset.py)

        torch.manual_seed(c.train.seed)  # same initial weights on every rank and every run
        check_model_size(lambda: build_model(c.model), f"the {c.model.name} model")
        self.model = build_model(c.model).to(self.device)
        if self.model.channels_last:  # the family measured it faster (models/base.py)
            self.model.to(memory_format=torch.channels_last)
        distributed.broadcast_module(self.model, self.dist)
        torch.manual_seed(c.train.seed * 1009 + self.dist.rank)  # per-rank noise streams

        if self.model.warm_start_run():  # e.g. SRGAN from a trained SRResNet; a resume then
            # loads its own checkpoint over these weights
            self.model.warm_start(load_model(self.model.warm_start_run()))
        target = self.model.target_classifier()
        if target is not None:  # e.g. AdvGAN's: frozen, never saved with the model's weights
            spec = self.dataset.spec
            classifier = load_classifier(
                target.source, self.device, spec.shape, spec.class_names or None, target.input_range
            )
            self.model.attach_target(classifier)
        self.phases = self.model.phases(c.train)
        self.optimizers = {}
        for phase in self.phases:
            params = [p for name in phase.modules for p in getattr(self.model, name).parameters()]
            self.optimizers[phase.name] = torch.optim.Adam(
                params, lr=phase.lr, betas=phase.betas, weight_decay=phase.weight_decay
            )
        self.ema = {}
        if c.train.ema_decay > 0:
            self.ema = {
                name: EMA(getattr(self.model, name), c.train.ema_decay, c.train.ema_start)
                for name in self.model.ema_modules()
            }
        per_rank = c.train.batch_size // self.dist.world
        self.stream = BatchStream(
            self.dataset,
            per_rank * self.dist.world,
            c.train.seed,
            self.dist.rank,
            self.dist.world,
            self.device,
        )
        self.step = 0
        self.run_dir = Path(c.run_dir) if c.run_dir else None
        if self.dist.is_main:
            # One writer per run folder: locked before anything is read from or written to it.
            self.run_dir = self.run_dir or new_run_dir(c)
            self.run_lock = Run(self.run_dir).lock().acquire()
            clean_leftovers(self.run_dir)
        if self.resume_from is not None:
            self._restore(self.resume_from)
        if self.dist.is_main:
            c.run_dir = str(self.run_dir)
            run = Run(self.run_dir)
            atomic_write_text(run.config_file, json.dumps(c.to_dict(), indent=2) + "\n")
            atomic_write_text(run.data_file, json.dumps(self.data_info(), indent=2) + "\n")
        self.log = TrainingLog(self.run_dir or Path("."), self.dist.is_main, c.train.tensorboard)
        if self.resume_from is not None:
            self.log.truncate_after(self.step)

    def data_info(self) -> dict:
        spec = self.dataset.spec
        return {
            "source": self.config.data.source,
            "shape": list(spec.shape),
            "class_names": spec.class_names,
            "report": self.dataset.report.to_dict(),
        }

    def _restore(self, checkpoint: Path) -> None:
        load_weights(self.model, load_raw_tensors(checkpoint), checkpoint)
        ema_tensors = load_ema_tensors(checkpoint)
        if self.ema and not ema_tensors:
            raise CheckpointError(
                f"{checkpoint} has no {EMA_FILE}, but this run averages its weights "
                "(train.ema_decay > 0); resume from another checkpoint"
            )
        for name, ema in self.ema.items():
            prefix = f"{name}."
            load_weights(
                ema.shadow,
                {k[len(prefix) :]: v for k, v in ema_tensors.items() if k.startswith(prefix)},
                checkpoint / EMA_FILE,
            )
        state = load_training_state(checkpoint, optimizers=self.optimizers)
        path = checkpoint / STATE_FILE
        try:
            for name, opt in self.optimizers.items():
                opt.load_state_dict(state["optimizers"][name])
            rngs = state["rng"]
            set_rng_state(rngs[self.dist.rank] if isinstance(rngs, list) else rngs)
            self.model.load_extra_training_state(state.get("model_extra", {}))
        except (KeyError, IndexError, RuntimeError, TypeError, ValueError) as error:
            raise CheckpointError(
                f"{path} does not fit this run ({str(error).splitlines()[0][:160]}); the file is "
                "damaged or from another model (use another checkpoint)"
            ) from None
        self.step = state["step"]
        self.stream.position = state["batch_position"]
        # Float sums differ between thread counts: a resume keeps the run's own count (unless
        # --train.threads says otherwise), so it reaches the weights of a run that never stopped.
        saved_threads = state.get("threads")
        if not self.config.train.threads and isinstance(saved_threads, int) and saved_threads > 0:
            self.threads = resumed_threads(saved_threads)
            torch.set_num_threads(saved_threads)
        if self.dist.is_main:
            print(f"resumed from step {self.step} ({checkpoint})", flush=True)

    # --- the loop ------------------------------------------------------------------------
    def _autocast(self):
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _set_lr(self, step: int) -> None:
        t = self.config.train
        factor = lr_factor(step, t.steps, t.lr_decay, t.lr_decay_start)
        for phase in self.phases:
            for group in self.optimizers[phase.name].param_groups:
                group["lr"] = phase.lr * factor

    def _run_phase(self, phase, step: int, sums: dict) -> None:
        optimizer = self.optimizers[phase.name]
        for _ in range(phase.repeat):
            waited = time.perf_counter()
            batch = self.stream.next()
            self.data_seconds += time.perf_counter() - waited  # time spent waiting for data
            optimizer.zero_grad(set_to_none=True)
            with self._autocast():
                losses = self.model.train_step(phase.name, batch, step)
            loss = losses["loss"]
            if not torch.isfinite(loss.detach()).item():
                raise TrainingDivergedError(self._divergence_message(phase.name, step))
            loss.backward()
            params = [p for group in optimizer.param_groups for p in group["params"]]
            distributed.average_gradients(params, self.dist)
            if phase.clip_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(params, phase.clip_grad_norm)
            optimizer.step()
            self.model.after_phase_step(phase.name)
            for key, value in losses.items():
                name = f"{phase.name}_loss" if key == "loss" else key
                sums[name] = sums.get(name, 0.0) + value.detach().float()
            sums.setdefault(f"_n_{phase.name}", 0)
            sums[f"_n_{phase.name}"] += 1

    def _divergence_message(self, phase: str, step: int) -> str:
        latest = None
        if self.run_dir is not None:
            try:
                latest = resolve_checkpoint(self.run_dir)
            except Exception:
                latest = None
        where = f"the last good checkpoint is {latest}" if latest else "no checkpoint was saved yet"
        return (
            f"the {phase} loss became NaN/inf at step {step + 1}; training stopped and "
            f"{where}. Resume with a lower learning rate (--train.lr_g/--train.lr_d) or a "
            f"gradient penalty"
        )

    def run(self) -> Path | None:
        try:
            self._setup()
            try:
                run_dir = self._loop()
                return run_dir if self.dist.is_main else None
            finally:
                self.log.close()
                distributed.shutdown()
        finally:
            if self.run_lock is not None:
                self.run_lock.release()

    def _loop(self) -> Path | None:
        c = self.config.train
        if self.step >= c.steps:
            if self.dist.is_main:
                print(f"{self.run_dir} is already trained to step {self.step} (>= {c.steps})")
            return self.run_dir
        bar = None
        if self.dist.is_main:
            chosen = describe_defaults(self.config, self.device.type)
            print(f"{self.threads.describe()}" + (f"; {chosen}" if chosen else ""), flush=True)
        if self.dist.is_main and c.progress:
            from tqdm import tqdm

            bar = tqdm(
                total=c.steps,
                initial=self.step,
                desc=self.model.name,
                unit="step",
                dynamic_ncols=True,
            )
        self.data_seconds, self.loop_start, first_step = 0.0, time.perf_counter(), self.step
        self.model.train()
        with StopRequests() as stop:
            self._steps(bar, stop)
        if bar is not None:
            bar.close()
        if self.dist.is_main:
            loop_seconds = time.perf_counter() - self.loop_start
            print(data_time_line(self.data_seconds, loop_seconds, self.step - first_step))
        self.save()
        self.write_preview()
        if self.dist.is_main and self.run_dir is not None:
            write_model_card(self.run_dir)  # MODEL_CARD.md, filled from the finished run
        return self.run_dir

    def _thread_trial(self) -> ThreadTrial | None:
        """A trial of one thread against the cores chosen, on a fresh CPU run long enough for
        it (threads.py says why); None where the count is the user's or the resumed run's."""
        c = self.config.train
        if (
            self.threads.chosen_by not in ("free cores", "all cores")
            or self.threads.threads < 2
            or self.device.type != "cpu"
            or self.dist.world > 1
            or c.steps - self.step < 2 + 2 * TRIAL_STEPS
        ):
            return None
        return ThreadTrial(self.threads, self.step, torch.set_num_threads)

    def _keep_threads(self, choice, bar) -> None:
        """End the thread trial with ``choice`` and say so when it changed the count."""
        if choice.chosen_by == "measured" and self.dist.is_main:
            bar.write(choice.describe()) if bar is not None else print(choice.describe())
        self.threads = choice
        return None

    def _steps(self, bar, stop: StopRequests) -> None:
        """Train to ``train.steps``; on Ctrl-C/SIGTERM save at the step reached and raise."""
        c = self.config.train
        sums: dict = {}
        images_since, time_since = 0, time.perf_counter()
        data_since, cpu_since = 0.0, time.process_time()
        deadline = time.perf_counter() + c.max_minutes * 60 if c.max_minutes else None
        time_up = False
        trial = self._thread_trial()
        main = self.dist.is_main
        timer = StepTimer(self.step, c.steps, deadline=deadline) if main and trial is None else None
        while self.step < c.steps and not time_up:
            step = self.step
            if trial is not None:
                trial.before_step(step)
                step_start = time.perf_counter()
            self._set_lr(step)
            for phase in self.phases:
                if step % phase.every == 0:
                    self._run_phase(phase, step, sums)
            for name, ema in self.ema.items():
                ema.update(getattr(self.model, name), step)
            self.step += 1
            images_since += c.batch_size
            if bar is not None:
                bar.update(1)
            if trial is not None:
                decided = trial.after_step(step, time.perf_counter() - step_start)
                if decided is not None:
                    trial = self._keep_threads(decided, bar)
                    timer = StepTimer(self.step, c.steps, deadline=deadline) if main else None
            estimate = timer.after_step(self.step, LONG_RUN_HINT) if timer else None
            if estimate:
                bar.write(estimate) if bar is not None else print(estimate, flush=True)
            # Every rank stops at the same step: the main rank's clock decides.
            if deadline is not None:
                time_up = distributed.any_rank(
                    self.dist.is_main and time.perf_counter() >= deadline, self.dist, self.device
                )
            if self.step % c.log_every == 0 or self.step == c.steps or time_up:
                rate = images_since / max(1e-9, time.perf_counter() - time_since)
                values = self._averages(sums)
                values["img_per_s"] = rate
                values["lr_g_factor"] = lr_factor(step, c.steps, c.lr_decay, c.lr_decay_start)
                steps_since = max(1, images_since // c.batch_size)
                values["data_s"] = (self.data_seconds - data_since) / steps_since  # a step
                values["step_s"] = (time.perf_counter() - time_since) / steps_since
                # CPU seconds of this process (all its threads) a step: the cost of a step on a
                # machine shared with other work, where wall-clock time also counts the waiting.
                values["cpu_s"] = (time.process_time() - cpu_since) / steps_since
                data_since = self.data_seconds
                self.log.write(self.step, values)
                if bar is not None:
                    shown = {k: f"{v:.3g}" for k, v in values.items() if k.endswith("_loss")} | {
                        f"{kind_of(self.model).item_unit}/s": f"{rate:.0f}"
                    }
                    bar.set_postfix(shown, refresh=False)
                sums, images_since, time_since = {}, 0, time.perf_counter()
                cpu_since = time.process_time()
            last = self.step == c.steps or time_up
            if c.sample_every and self.step % c.sample_every == 0 and not last:
                self.write_preview()
            if c.checkpoint_every and self.step % c.checkpoint_every == 0 and not last:
                self.save()
            # (At the last step the run ends normally: its own save comes next.)
            stopping = stop.signum is not None and self.step < c.steps and not time_up
            if stopping and trial is not None:  # the checkpoint records the count kept
                trial = self._keep_threads(trial.decide(), bar)
            if distributed.any_rank(stopping, self.dist, self.device):
                self._stop_on_signal(bar, stop.signum)
        if time_up and self.step < c.steps and self.dist.is_main:
            said = (
                f"time budget spent (--train.max_minutes {c.max_minutes:g}): stopped at step "
                f"{self.step} of {c.steps}; continue with: artgan train --resume {self.run_dir}"
            )
            bar.write(said) if bar is not None else print(said, flush=True)

    def _stop_on_signal(self, bar, signum: int | None) -> None:
        """Save a checkpoint at the step reached (a whole step: resumes exactly) and raise."""
        if bar is not None:
            bar.close()
        saved = self.save()
        signum = signum if signum is not None else signal.SIGTERM  # another rank's signal
        where = f"checkpoint saved at step {self.step}: {saved}" if saved else "stopped"
        resume = f"; continue with: artgan train --resume {self.run_dir}" if self.run_dir else ""
        raise TrainingInterrupted(
            f"training stopped by {signal_name(signum)} at step {self.step}; {where}{resume}",
            signum,
        )

    def _averages(self, sums: dict) -> dict[str, float]:
        counts = {k[3:]: v for k, v in sums.items() if k.startswith("_n_")}
        out = {}
        for key, value in sums.items():
            if key.startswith("_n_"):
                continue
            phase = key.split("_")[0] if key.endswith("_loss") else None
            n = counts.get(phase) or max(counts.values(), default=1)
            out[key] = float(distributed.all_reduce_mean(value / n, self.dist))
        return out

    # --- outputs ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def sampling_weights(self):
        """Temporarily put the EMA sub-networks in the model (samples come from them)."""
        originals = {name: getattr(self.model, name) for name in self.ema}
        try:
            for name, ema in self.ema.items():
                setattr(self.model, name, ema.shadow)
            yield self.model
        finally:
            for name, module in originals.items():
                setattr(self.model, name, module)

    def refresh_ema_statistics(self) -> None:
        """Re-measure what the EMA sub-networks cannot average (their batch-norm statistics),
        before they make a preview or are saved."""
        # A preview and a checkpoint at the same step share one measurement.
        if self.ema and self._statistics_step != self.step:
            with self.sampling_weights() as model:
                model.refresh_ema_statistics()
            self._statistics_step = self.step

    def write_preview(self) -> Path | None:
        if not self.dist.is_main or self.run_dir is None:
            return None
        record = GenerationRecord(
            model_family=self.model.name,
            run_id=self.run_dir.name,
            step=self.step,
            seed=PREVIEW_SEED,
            params={"command": "train preview"},
            dataset_manifest_sha256=getattr(self.dataset.report, "manifest_sha256", ""),
        )
        self.refresh_ema_statistics()
        with self.sampling_weights() as model:
            path = write_preview(model, self.dataset, Run(self.run_dir).samples, self.step, record)
        curve = record.with_params(command="train loss curve")
        plot_loss_curve(self.log.read(), Run(self.run_dir).loss_curve, curve)
        return path

    def save(self) -> Path | None:
        if not self.dist.is_main or self.run_dir is None:
            # Every rank's RNG matters for exact resumes; gather them to rank 0.
            self._gather_rng()
            return None
        rngs = self._gather_rng()
        self.refresh_ema_statistics()
        state = {
            "step": self.step,
            "batch_position": self.stream.position,
            "optimizers": {name: opt.state_dict() for name, opt in self.optimizers.items()},
            "rng": rngs if self.dist.enabled else rngs[0],
            "model_extra": self.model.extra_training_state(),
            "threads": self.threads.threads,
            "train_config": to_dict(self.config.train),
        }
        meta = model_meta(self.model, self.data_info(), self.step, self.run_dir.name)
        return save_checkpoint(
            self.run_dir,
            self.step,
            self.model,
            self.ema,
            state,
            meta,
            self.config.train.keep_checkpoints,
        )

    def _gather_rng(self) -> list[dict]:
        mine = rng_state()
        if not self.dist.enabled:
            return [mine]
        gathered: list = [None] * self.dist.world
        torch.distributed.all_gather_object(gathered, mine)
        return gathered


def train(config=None, resume: str | Path | None = None, **overrides) -> Path | None:
    """Train a model and return its run folder.

    ``config``: a RunConfig, a dict, or a JSON/YAML file. ``resume``: a run folder to continue
    (its own config is used; ``steps`` is the run's new total). Keyword overrides take short
    names (``steps=400``, ``model="dcgan"``, ``data="art"``) or dotted ones
    (``**{"model.width": 32}``); ``preset="quick"`` (or cpu, gpu) sizes a new run for a time
    budget (the family's ``presets``), under the overrides given.
    """
    resume_from = None
    preset = overrides.pop("preset", None)  # quick, cpu or gpu: the family's presets
    if resume is not None:
        if preset:
            raise ConfigError("--preset sizes a new run; a resumed run keeps its own settings")
        run_dir = Path(resume)
        if not Run(run_dir).checkpoints.is_dir() and (run_dir / MODEL_FILE).is_file():
            raise CheckpointError(
                f"--resume takes a run folder, and {run_dir} is a checkpoint inside one; "
                f"use --resume {Run.of(run_dir).root}"
            )
        resume_from = resolve_checkpoint(run_dir)
        base = read_run_config(run_dir)
        base["run_dir"] = str(run_dir)
        if not {"max_minutes", "train.max_minutes"} & set(overrides):
            base.setdefault("train", {})["max_minutes"] = 0.0  # a budget is one command's
        config = build_run_config(base, overrides)
    else:
        config = build_run_config(config, overrides, preset)
    return Trainer(config, resume_from).run()
