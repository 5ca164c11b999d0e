"""What ``artgan studio`` pays for before its first gallery (issue 17: under 5 s from a cold
start): only the named command's module, no scipy module that serving does not use, no
torch._dynamo for the model-size check, and no type stubs written by Gradio at import. Each
of these was a CPU second or more of the start (bench/studio_latency.py measures the whole)."""

import json
import subprocess
import sys

from artgan.cli.main import COMMAND_MODULES, build_parser, commands_to_parse

# A fresh interpreter: what `artgan studio RUNS` imports on its way to the first gallery.
COLD_START = """
import json, sys
from artgan.cli.main import build_parser
build_parser(["studio", "runs"])
import artgan.studio.app
from artgan.training.checkpoint import load_model
load_model(sys.argv[1])
import gradio.component_meta as meta
print(json.dumps({"modules": sorted(sys.modules), "stubs": meta.create_or_modify_pyi.__name__}))
"""


def test_a_named_command_parses_with_its_own_module_only():
    assert commands_to_parse(["studio", "runs/"]) == ["studio"]
    assert commands_to_parse(["style-transfer", "a.png"]) == ["style_transfer"]
    for argv in ([], ["--help"], ["--version"], ["studi"], None):  # help, typos: every command
        assert commands_to_parse(argv) == COMMAND_MODULES
    args = build_parser(["studio"]).parse_args(["studio", "runs"])
    assert args.device != "auto"  # resolved, as every command's: a model cannot go .to("auto")


def test_a_cold_studio_imports_only_what_serving_needs(runs):
    done = subprocess.run(
        [sys.executable, "-c", COLD_START, str(runs / "tiny")],
        capture_output=True,
        text=True,
        check=True,
    )
    seen = json.loads(done.stdout.splitlines()[-1])
    modules = set(seen["modules"])
    assert "artgan.cli.studio" in modules and "artgan.cli.train" not in modules
    assert not modules & {"scipy.signal", "scipy.interpolate", "artgan.metrics"}
    assert "torch._dynamo" not in modules  # the size check on "meta" initialised nothing
    assert seen["stubs"] == "_write_no_stub"  # Gradio wrote no .pyi files at import
