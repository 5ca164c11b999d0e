"""Benchmark: how long the studio takes from "artgan studio runs/" to the first gallery of 16
images of a 64 px run (issue 17's target: under 5 s on 2 CPU cores), beside the same 16 images
drawn by ``artgan sample`` from the command line, each in a fresh process.

Per row, wall seconds and CPU seconds (user + system of the whole process tree, from /proc,
plus this script's client side), and the share of the machine other processes used meanwhile:
on a shared machine the wall time counts waiting for the CPU, the CPU seconds hardly do.

- ``studio: server ready``: process start -> Gradio serving (imports, page built, launched);
- ``studio: page open -> first gallery``: from serving to the 16 images back at a client that
  connected as a page does (gradio_client reads the page's config first); the model loads
  while the server starts (app.warm_up) or here, whichever comes first;
- ``studio: start -> first gallery``: the two above together, from the process start;
- ``studio: next gallery``: another page of 16 (another seed), the model loaded;
- ``artgan sample --n 16``: the command line's cold start to a written grid, for comparison.

The run: dcgan and resnet at 64 px with their default widths, trained 1 step (latency does
not depend on training). Torch uses 2 threads, as on a 2-core laptop. The client asks as a page
does: the gallery's images are fetched over one connection (gradio_client's own download opens
a TLS context per file, client work a browser does not do).

``--baseline SRC`` times another source tree (e.g. ``git archive OLD src | tar -x -C /tmp/old``)
in the same script, row beside row: the before/after of a start-up change in CPU seconds.

    python bench/studio_latency.py            # 3 repeats, the median reported
    python bench/studio_latency.py --repeats 1 --families dcgan --baseline /tmp/old/src
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CpuShare, process_tree_cpu_seconds, write_json_report

FAMILIES = ("dcgan", "resnet")  # fastgan starts at 128 px
COUNT = 16
THREADS = "2"


def make_run(folder: Path, family: str) -> Path:
    import artgan

    run = folder / f"{family}-64"
    artgan.train(
        {
            "model": {"name": family, "image_size": 64},
            "data": {"source": "art"},
            "train": {
                "steps": 1,
                "batch_size": 8,
                "progress": False,
                "tensorboard": False,
                "sample_every": 0,
                "checkpoint_every": 0,
            },
            "run_dir": str(run),
        }
    )
    return run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


THIS_TREE = Path(__file__).resolve().parents[1] / "src"


def environment(source: Path) -> dict:
    return {
        **os.environ,
        "OMP_NUM_THREADS": THREADS,
        "MKL_NUM_THREADS": THREADS,
        "PYTHONPATH": str(source),
    }


def page_of(client, httpx_client, run_name: str, seed: int) -> list:
    """A gallery as a page gets it: the call, then each image fetched."""
    gallery, *_ = client.predict(run_name, seed, COUNT, 0, [], "", True, api_name="/generate")
    for item in gallery:
        httpx_client.get(item["image"]["url"]).raise_for_status()
    return gallery


def time_studio(runs: Path, run_name: str, source: Path) -> dict:
    """One cold start of ``artgan studio`` and two pages from it."""
    import httpx
    from gradio_client import Client

    port = free_port()
    command = [sys.executable, "-m", "artgan", "studio", str(runs), "--port", str(port)]
    command += ["--device", "cpu"]  # named: the baseline tree (4f31e58) failed on "auto"
    share = CpuShare().start()
    start, client_cpu = time.perf_counter(), time.process_time()
    server = subprocess.Popen(
        command, env=environment(source), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    share._tree = server.pid
    try:
        url = f"http://127.0.0.1:{port}/"
        ready = wait_until_serving(port, server)
        ready_cpu = process_tree_cpu_seconds(server.pid) + time.process_time() - client_cpu
        # what a page does first: read the app's config
        client = Client(url, verbose=False, download_files=False, ssl_verify=False)
        fetcher = httpx.Client()
        page_of(client, fetcher, run_name, 0)
        first = time.perf_counter()
        first_cpu = process_tree_cpu_seconds(server.pid) + time.process_time() - client_cpu
        gallery = page_of(client, fetcher, run_name, 1)
        again = time.perf_counter() - first
        again_cpu = (
            process_tree_cpu_seconds(server.pid) + time.process_time() - client_cpu - first_cpu
        )
        assert len(gallery) == COUNT
        others = share.stop()
    finally:
        server.terminate()
        server.wait(30)
    return {
        "ready": (ready - start, ready_cpu),
        "page": (first - ready, first_cpu - ready_cpu),
        "first": (first - start, first_cpu),
        "again": (again, again_cpu),
        "others": others,
    }


def wait_until_serving(port: int, server: subprocess.Popen, timeout: float = 600) -> float:
    """When the server accepts connections (it listens once the page is built). Knocking on
    the port costs the server next to nothing; asking for /config every 50 ms, as this bench
    did first, cost it seconds of CPU on a slow start (each answer builds the page's config)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the studio exited: {server.stderr.read().decode()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return time.perf_counter()
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the studio did not listen on port {port} in {timeout:g} s")


def time_cli(run: Path, out: Path, source: Path) -> dict:
    command = [sys.executable, "-m", "artgan", "sample", str(run), "--n", str(COUNT)]
    command += ["--out", str(out)]
    share = CpuShare().start()
    start = time.perf_counter()
    before = os.times()
    subprocess.run(command, env=environment(source), check=True, capture_output=True)
    after = os.times()
    wall = time.perf_counter() - start
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return {"sample": (wall, cpu), "others": share.stop()}


def median(rows: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument(
        "--baseline", type=Path, help="another tree's src/ folder, timed beside this one"
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="studio-latency-"))
    runs = folder / "runs"
    sources = [("this tree", THIS_TREE)]
    if args.baseline:
        sources.append((f"baseline {args.baseline}", args.baseline.resolve()))
    rows, shares = [], []
    for family in args.families.split(","):
        run = make_run(runs, family)
        for n, (code, source) in enumerate(sources):
            studio = [time_studio(runs, run.name, source) for _ in range(args.repeats)]
            grids = [folder / f"grid-{family}-{n}-{k}.png" for k in range(args.repeats)]
            cli = [time_cli(run, grid, source) for grid in grids]
            shares += [r["others"] for r in studio + cli if r["others"] is not None]
            for label, key, results in (
                ("studio: server ready", "ready", studio),
                ("studio: page open -> first gallery", "page", studio),
                ("studio: start -> first gallery", "first", studio),
                ("studio: next gallery", "again", studio),
                (f"artgan sample --n {COUNT}", "sample", cli),
            ):
                wall, cpu = median([r[key] for r in results])
                rows.append([family, code, label, f"{wall:.2f}", f"{cpu:.2f}"])
                print(
                    f"{family:7s} {code[:24]:24s} {label:36s} wall {wall:6.2f} s   "
                    f"CPU {cpu:6.2f} s",
                    flush=True,
                )
    others = statistics.mean(shares) if shares else None
    notes = [
        f"Median of {args.repeats} cold starts each; 64 px runs trained 1 step; torch on "
        f"{THREADS} threads. Target: first gallery under 5 s on 2 cores.",
        "CPU seconds: the server's whole process tree (from /proc) plus the client's own; the "
        "CLI row: the finished child's user + system time.",
        "Other processes used "
        + (f"{others:.0%}" if others is not None else "an unknown share")
        + " of the machine's CPU meanwhile (mean over the timed starts): with a shared "
        "machine the wall seconds include waiting; compare CPU seconds.",
    ]
    write_json_report(
        "studio_latency",
        "Studio: opening it and the first gallery of 16 images (64 px runs)",
        [
            {
                "caption": "Cold start to first gallery, beside artgan sample",
                "columns": ["family", "code", "what", "wall s", "CPU s"],
                "rows": rows,
            }
        ],
        notes,
        command="python bench/studio_latency.py " + " ".join(sys.argv[1:]),
    )


if __name__ == "__main__":
    main()
