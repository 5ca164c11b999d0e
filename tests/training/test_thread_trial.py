"""The thread trial: a run's first steps time the chosen threads against one, and a model too
small to share out across cores keeps one thread (bench/readme_times.py measured 2-4x)."""

from artgan.training.threads import TRIAL_STEPS, ThreadChoice, ThreadTrial

TWO = ThreadChoice(2, 2, 0.0, "all cores")


def run_trial(seconds_on: dict[int, float], first_step: int = 0):
    """Drive a trial with fixed step times per thread count; the threads set for each step and
    the choice it ends with."""
    current = [2]
    trial = ThreadTrial(TWO, first_step, lambda n: current.__setitem__(0, n))
    used, step = [], first_step
    while True:
        trial.before_step(step)
        used.append(current[0])
        decided = trial.after_step(step, seconds_on[current[0]])
        step += 1
        if decided is not None:
            return used, decided, current[0]


def test_a_small_model_keeps_one_thread_and_says_what_it_measured():
    used, decided, threads_now = run_trial({2: 0.090, 1: 0.025}, first_step=7)
    assert used == [2] + [2] * TRIAL_STEPS + [1] * TRIAL_STEPS  # warm-up, chosen, then one
    assert (decided.threads, decided.chosen_by, threads_now) == (1, "measured", 1)
    assert "25 ms a step on 1 thread, 90 ms on 2" in decided.describe()


def test_a_model_that_gains_from_cores_keeps_them():
    used, decided, threads_now = run_trial({2: 0.050, 1: 0.090})
    assert decided is TWO and threads_now == 2


def test_one_thread_must_win_by_the_margin_not_by_noise():
    _, decided, _ = run_trial({2: 0.100, 1: 0.095})
    assert decided is TWO


def test_a_trial_cut_short_decides_on_what_it_has():
    current = [2]
    trial = ThreadTrial(TWO, 0, lambda n: current.__setitem__(0, n))
    for step in range(1 + TRIAL_STEPS + 1):  # stopped after one step on one thread
        trial.before_step(step)
        assert trial.after_step(step, 0.09 if current[0] == 2 else 0.02) is None
    assert trial.decide().threads == 1 and current[0] == 1


def test_the_trainer_runs_the_trial_and_resumes_with_the_count_it_kept(
    tiny_config, tmp_path, monkeypatch, capsys
):
    import torch

    import artgan
    from artgan.training import threads, trainer

    monkeypatch.setattr(trainer, "choose_threads", lambda requested: TWO)
    monkeypatch.setattr(threads, "TRIAL_MARGIN", 1e9)  # one thread always wins here
    before = torch.get_num_threads()
    try:
        run = artgan.train(tiny_config("mlp", steps=8, run_dir=str(tmp_path / "r"), threads=0))
        assert "threads: 1 of 2 cores (measured" in capsys.readouterr().out
        assert torch.get_num_threads() == 1
        monkeypatch.setattr(threads, "TRIAL_MARGIN", 0.0)  # a resume runs no trial
        artgan.train(resume=run, steps=10)
        assert "threads: 1, the run's own" in capsys.readouterr().out
    finally:
        torch.set_num_threads(before)
