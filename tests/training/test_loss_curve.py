"""The loss curve a person reads: losses in one panel, D's outputs in another, honest labels."""

import pytest

from artgan.training import logs
from artgan.training.logs import TrainingLog, loss_curve_panels, plot_loss_curve


def _entries(n=30):
    out = []
    for step in range(1, n + 1):
        d = 1.0 / step
        out.append(
            {
                "step": step,
                "D_loss": d,
                "d_adv": d,  # D's only term: the same series as its total
                "G_loss": 2.0 - d,
                "g_adv": 1.5 - d,  # G has another term too: its own line
                "d_real": 0.5 + d,
                "d_fake": -0.5 - d,
                "ada_p": 0.01 * step,
                "ada_rt": 0.3,
                "img_per_s": 100.0,
                "data_s": 0.01,
                "step_s": 0.2,
                "cpu_s": 0.3,
                "lr_g_factor": 1.0,
            }
        )
    return out


def test_losses_and_d_outputs_are_separate_panels_with_matching_labels():
    panels = loss_curve_panels(_entries())
    assert panels["losses"] == [
        ("D_loss", "D_loss (= d_adv)"),
        ("G_loss", "G_loss"),
        ("g_adv", "g_adv"),
    ]
    assert panels["outputs"] == [("d_fake", "d_fake"), ("d_real", "d_real")]
    assert panels["ada"] == [("ada_p", "ada_p"), ("ada_rt", "ada_rt")]
    plotted = {key for lines in panels.values() for key, _ in lines}
    assert not plotted & {"img_per_s", "data_s", "step_s", "cpu_s", "lr_g_factor"}


def test_the_plot_has_two_panels_and_the_ada_axis(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    figures = []
    original = plt.subplots
    monkeypatch.setattr(
        plt, "subplots", lambda *a, **k: figures.append(original(*a, **k)) or figures[-1]
    )
    assert plot_loss_curve(_entries(), tmp_path / "loss.png").is_file()
    fig, axes = figures[0]
    assert axes.shape == (2, 1)
    assert axes[0][0].get_ylabel() == "loss" and "D output" in axes[1][0].get_ylabel()
    legend = [t.get_text() for t in axes[0][0].get_legend().get_texts()]
    assert legend == ["D_loss (= d_adv)", "G_loss", "g_adv"]
    assert len(fig.axes) == 3  # the ADA twin axis beside the outputs


def test_a_run_without_d_outputs_has_one_panel(tmp_path):
    entries = [{"step": s, "G_loss": 1.0 / s, "kl": 0.1} for s in range(1, 5)]
    assert loss_curve_panels(entries)["outputs"] == []
    assert plot_loss_curve(entries, tmp_path / "loss.png").is_file()


def test_missing_tensorboard_is_said_once(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    monkeypatch.setitem(__import__("sys").modules, "torch.utils.tensorboard", None)
    monkeypatch.setattr(logs, "_TOLD", set())
    TrainingLog(tmp_path, enabled=True, tensorboard=True)
    TrainingLog(tmp_path, enabled=True, tensorboard=True)
    err = capsys.readouterr().err
    assert err.count("TensorBoard is not installed") == 1


def test_the_training_loss_curve_is_signed_not_watermarked(tmp_path):
    import artgan
    from artgan.provenance.output import NOT_ART, read_record
    from tests.conftest import tiny_run_config

    run = artgan.train(tiny_run_config(steps=2, run_dir=str(tmp_path / "run")))
    record = read_record(run / "loss_curve.png")
    assert record["watermark"] == NOT_ART and record["params"]["command"] == "train loss curve"
