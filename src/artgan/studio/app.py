"""The studio's page: Gradio Blocks over the back-end modules of this package.

Local by default: bound to 127.0.0.1, no share link unless asked, Gradio's analytics off (set
before Gradio is imported), the theme's fonts served by the app itself (no web fonts), nothing
fetched from the network. Every handler's failure is one readable message in the page
(``gr.Error`` with the ArtganError's words), never a traceback. The files the page offers for
download are the ones written by the one output point; the gallery and previews show pixels
but offer no download of their own.

Every interactive component has a stable ``elem_id`` (for browser tests) and every event an
``api_name`` (for gradio_client); /work/notes/studio-api.md lists them.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import tempfile
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from .gradio_setup import prepare_gradio_import

prepare_gradio_import()  # before gradio is imported: no telemetry, no Hub, no stub writing

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402  (a Gradio dependency: the loss plot's table)
from gradio.processing_utils import save_file_to_cache  # noqa: E402
from gradio.utils import get_upload_folder  # noqa: E402

from ..data import DATASETS  # noqa: E402
from ..errors import ArtganError  # noqa: E402
from ..models import MODELS  # noqa: E402
from ..models.capabilities import Inpainter, LatentGenerator, Translator, Upscaler  # noqa: E402
from ..version import __version__  # noqa: E402
from . import create, edit, transform  # noqa: E402
from .folders import DEFAULT_MAX_MEGAPIXELS, StudioFolders  # noqa: E402
from .runs import ModelCache, list_runs, run_choices  # noqa: E402
from .training import TrainingJobs  # noqa: E402
from .verify import verify_upload  # noqa: E402

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
MAX_FILE_SIZE = "64mb"  # uploads larger than this are refused by the server itself
TRAIN_REFRESH_S = 1.0


@dataclass
class Studio:
    """What the page works on: its folders, the loaded models, the trainings it started."""

    folders: StudioFolders
    device: str = "cpu"
    models: ModelCache = field(init=False)
    jobs: TrainingJobs = field(init=False)

    def __post_init__(self):
        self.models = ModelCache(self.device)
        self.jobs = TrainingJobs(self.folders)


def make_studio(
    runs: str | Path,
    output: str | Path | None = None,
    data: list[str | Path] | tuple = (),
    max_megapixels: float = DEFAULT_MAX_MEGAPIXELS,
    device: str = "cpu",
) -> Studio:
    folders = StudioFolders(
        runs=Path(runs).expanduser(),
        output=Path(output).expanduser() if output else None,
        data=tuple(Path(d).expanduser().resolve() for d in data),
        uploads=(Path(get_upload_folder()),),
        max_megapixels=max_megapixels,
    )
    return Studio(folders, device)


def readable(handler):
    """One readable message in the page for any failure of ``handler``: an ArtganError's own
    words, an OS error's reason; anything else its one-line description (the traceback goes
    to the server's console only)."""

    @functools.wraps(handler)
    def wrapped(*args, **kwargs):
        try:
            return handler(*args, **kwargs)
        except gr.Error:
            raise
        except ArtganError as error:
            raise gr.Error(str(error), print_exception=False) from None
        except OSError as error:
            where = f": {Path(error.filename).name}" if error.filename else ""
            raise gr.Error(f"{error.strerror or error}{where}", print_exception=False) from None
        except Exception as error:  # a bug: say what, keep the details for the console
            traceback.print_exc(file=sys.stderr)
            raise gr.Error(
                f"unexpected {type(error).__name__}: {error}", print_exception=False
            ) from None

    return wrapped


def shown(image):
    """A uint8 (H, W, C) image as the page shows it: a grey (H, W, 1) one as (H, W)."""
    return image[:, :, 0] if image.ndim == 3 and image.shape[2] == 1 else image


def offered(path: Path) -> str:
    """A file written by the output point, handed to the page for download: a byte-for-byte
    copy in the server's upload folder, so the runs and output folders need not be served."""
    return save_file_to_cache(path, get_upload_folder())


def _dropdown(choices: list[str], value: str | None = None) -> dict:
    value = value if value in choices else (choices[0] if choices else None)
    return gr.update(choices=choices, value=value)


THEME = gr.themes.Default(
    # System fonts: nothing is fetched to draw the page.
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "monospace"],
)


def build_app(studio: Studio) -> gr.Blocks:
    folders, models, jobs = studio.folders, studio.models, studio.jobs

    def latent_runs():
        return run_choices(folders, LatentGenerator)

    # The run boxes take any value (the back-end confines it to the runs folder, which is the
    # check that matters: a request need not come from this page) and start with the runs
    # there now; "Refresh runs" and every page load list them again.
    def run_box(label: str, elem_id: str, choices: list[str], **kwargs):
        return gr.Dropdown(
            label=label,
            choices=choices,
            value=choices[0] if choices else None,
            allow_custom_value=True,
            elem_id=elem_id,
            **kwargs,
        )

    with gr.Blocks(title="artgan studio", analytics_enabled=False) as app:
        gr.Markdown(
            f"## artgan studio\nRuns in `{folders.runs}` · saved files go to "
            f"`{folders.output or 'each run’s studio/ folder'}` · artgan {__version__}",
            elem_id="studio-header",
        )
        page = gr.State(None)  # create.Page
        subject = gr.State(None)  # edit.Subject
        training_run = gr.State("")  # the run the Train tab shows
        train_shown = gr.State(None)  # (step, preview) the Train tab shows now

        with gr.Tabs(elem_id="studio-tabs") as tabs:
            # --- Create -----------------------------------------------------------------------
            with gr.Tab("Create", id="create", elem_id="tab-create"):
                with gr.Row():
                    run = run_box("Run", "create-run", latent_runs(), scale=3)
                    refresh = gr.Button("Refresh runs", elem_id="create-refresh", scale=1)
                with gr.Row():
                    seed = gr.Number(label="Seed", value=0, precision=0, elem_id="create-seed")
                    count = gr.Slider(
                        1, create.MAX_PAGE, value=16, step=1, label="Count", elem_id="create-count"
                    )
                    truncation = gr.Slider(
                        0,
                        3,
                        value=0,
                        step=0.05,
                        label="Truncation (0 = off)",
                        elem_id="create-truncation",
                    )
                with gr.Row():
                    styles = gr.Dropdown(
                        label="Style (conditional runs; several = an equal blend)",
                        choices=[],
                        multiselect=True,
                        elem_id="create-styles",
                    )
                    blend = gr.Textbox(
                        label="Blend (e.g. monet:0.7,rothko:0.3)", elem_id="create-blend"
                    )
                    steer = gr.Checkbox(
                        value=True, label="Steer by my likes", elem_id="create-steer"
                    )
                generate = gr.Button("Generate", variant="primary", elem_id="create-generate")
                gallery = gr.Gallery(
                    label="Samples",
                    columns=8,
                    height="auto",
                    allow_preview=True,
                    format="png",
                    buttons=["fullscreen"],
                    elem_id="create-gallery",
                )
                with gr.Row():
                    index = gr.Number(
                        label="Selected image #",
                        value=None,
                        precision=0,
                        elem_id="create-index",
                    )
                    like = gr.Button("Like", elem_id="create-like")
                    dislike = gr.Button("Dislike", elem_id="create-dislike")
                with gr.Row():
                    save_name = gr.Textbox(
                        label="Save as (file name; empty: seedS-I.png)", elem_id="create-save-name"
                    )
                    enlarge = gr.Number(
                        label="Enlarge to width (px; 0 = as made)",
                        value=0,
                        precision=0,
                        elem_id="create-enlarge",
                    )
                    save = gr.Button("Save", elem_id="create-save")
                saved = gr.File(label="Saved file (signed)", elem_id="create-file")
                with gr.Row():
                    to_edit = gr.Button("Send to Edit", elem_id="create-to-edit")
                    to_restyle = gr.Button("Send to Restyle", elem_id="create-to-restyle")
                    to_upscale = gr.Button("Send to Upscale", elem_id="create-to-upscale")
                    to_inpaint = gr.Button("Send to Inpaint", elem_id="create-to-inpaint")
                create_status = gr.Markdown("", elem_id="create-status")

            # --- Edit -------------------------------------------------------------------------
            with gr.Tab("Edit", id="edit", elem_id="tab-edit"):
                edit_run = run_box("Run", "edit-run", latent_runs())
                edit_source = gr.Markdown("", elem_id="edit-source")
                with gr.Row():
                    with gr.Column():
                        edit_upload = gr.Image(
                            format="png",
                            label="Upload an image to invert",
                            type="filepath",
                            image_mode=None,
                            elem_id="edit-upload",
                        )
                        invert_steps = gr.Slider(
                            0,
                            1000,
                            value=edit.INVERT_STEPS,
                            step=10,
                            label="Inversion steps",
                            elem_id="edit-invert-steps",
                        )
                        invert = gr.Button("Invert", elem_id="edit-invert")
                    with gr.Column():
                        edit_image = gr.Image(
                            format="png",
                            label="Edited",
                            interactive=False,
                            buttons=["fullscreen"],
                            elem_id="edit-image",
                        )
                sliders = [
                    gr.Slider(
                        -edit.MAX_STRENGTH,
                        edit.MAX_STRENGTH,
                        value=0,
                        step=0.1,
                        label=f"SeFa direction {i}",
                        elem_id=f"edit-sefa-{i}",
                    )
                    for i in range(edit.DIRECTIONS)
                ]
                with gr.Row():
                    edit_reset = gr.Button("Reset sliders", elem_id="edit-reset")
                    edit_name = gr.Textbox(label="Save as", elem_id="edit-save-name")
                    edit_save = gr.Button("Save", elem_id="edit-save")
                edit_file = gr.File(label="Saved file (signed)", elem_id="edit-file")

            # --- Restyle / Upscale / Inpaint ------------------------------------------------
            with gr.Tab("Restyle", id="restyle", elem_id="tab-restyle"):
                with gr.Row():
                    restyle_run = run_box(
                        "cyclegan / pix2pix run", "restyle-run", run_choices(folders, Translator)
                    )
                    direction = gr.Radio(
                        ["a2b", "b2a"],
                        value="a2b",
                        label="Direction",
                        elem_id="restyle-direction",
                    )
                with gr.Row():
                    restyle_input = gr.Image(
                        format="png",
                        label="Image",
                        type="filepath",
                        image_mode=None,
                        elem_id="restyle-input",
                    )
                    style_image = gr.Image(
                        format="png",
                        label="Style image (neural style transfer, no run needed)",
                        type="filepath",
                        image_mode=None,
                        elem_id="restyle-style-image",
                    )
                    restyle_output = gr.Image(
                        format="png",
                        label="Result",
                        interactive=False,
                        buttons=["fullscreen"],
                        elem_id="restyle-output",
                    )
                with gr.Row():
                    restyle_button = gr.Button("Restyle with the run", elem_id="restyle-button")
                    transfer_steps = gr.Slider(
                        10,
                        500,
                        value=100,
                        step=10,
                        label="Style-transfer steps",
                        elem_id="restyle-transfer-steps",
                    )
                    transfer_button = gr.Button(
                        "Transfer the style image's style", elem_id="restyle-transfer"
                    )
                restyle_file = gr.File(label="Saved file (signed)", elem_id="restyle-file")

            with gr.Tab("Upscale", id="upscale", elem_id="tab-upscale"):
                upscale_run = run_box(
                    "super-resolution run", "upscale-run", run_choices(folders, Upscaler)
                )
                with gr.Row():
                    upscale_input = gr.Image(
                        format="png",
                        label="Image",
                        type="filepath",
                        image_mode=None,
                        elem_id="upscale-input",
                    )
                    upscale_output = gr.Image(
                        format="png",
                        label="Enlarged",
                        interactive=False,
                        buttons=["fullscreen"],
                        elem_id="upscale-output",
                    )
                upscale_button = gr.Button("Upscale", elem_id="upscale-button")
                upscale_file = gr.File(label="Saved file (signed)", elem_id="upscale-file")

            with gr.Tab("Inpaint", id="inpaint", elem_id="tab-inpaint"):
                inpaint_run = run_box(
                    "inpainting run", "inpaint-run", run_choices(folders, Inpainter)
                )
                with gr.Row():
                    inpaint_editor = gr.ImageEditor(
                        format="png",
                        label="Paint the holes to fill",
                        type="filepath",
                        brush=gr.Brush(colors=["#ff00ff"], color_mode="fixed"),
                        buttons=["fullscreen"],
                        elem_id="inpaint-editor",
                    )
                    inpaint_output = gr.Image(
                        format="png",
                        label="Filled",
                        interactive=False,
                        buttons=["fullscreen"],
                        elem_id="inpaint-output",
                    )
                inpaint_button = gr.Button("Fill the holes", elem_id="inpaint-button")
                inpaint_file = gr.File(label="Saved file (signed)", elem_id="inpaint-file")

            # --- Train ------------------------------------------------------------------------
            with gr.Tab("Train", id="train", elem_id="tab-train"):
                with gr.Row():
                    train_name = gr.Textbox(label="New run name", elem_id="train-name")
                    train_data = gr.Dropdown(
                        label=("Data: a built-in dataset, or a folder inside a --data folder"),
                        choices=DATASETS.names(),
                        value="art",
                        allow_custom_value=True,
                        elem_id="train-data",
                    )
                    train_family = gr.Dropdown(
                        label="Family (empty: the default for the data)",
                        choices=["", *MODELS.names()],
                        value="",
                        elem_id="train-family",
                    )
                    train_steps = gr.Number(
                        label="Steps", value=2000, precision=0, elem_id="train-steps"
                    )
                train_extra = gr.Textbox(
                    label="Extra options (e.g. --preset quick --model.width 16)",
                    elem_id="train-extra",
                )
                with gr.Row():
                    train_start = gr.Button("Start", variant="primary", elem_id="train-start")
                    train_resume_run = run_box(
                        "Run to resume", "train-resume-run", [r.name for r in list_runs(folders)]
                    )
                    train_resume = gr.Button("Resume", elem_id="train-resume")
                    train_stop = gr.Button("Stop", variant="stop", elem_id="train-stop")
                train_progress = gr.HTML(_progress_html(0, 0), elem_id="train-progress")
                train_status = gr.Markdown("", elem_id="train-status")
                with gr.Row():
                    train_preview = gr.Image(
                        format="png",
                        label="Latest preview",
                        interactive=False,
                        buttons=["fullscreen"],
                        elem_id="train-preview",
                    )
                    train_loss = gr.LinePlot(
                        x="step",
                        y="value",
                        color="series",
                        label="Losses",
                        elem_id="train-loss",
                    )
                timer = gr.Timer(TRAIN_REFRESH_S, active=False)

            # --- Verify -----------------------------------------------------------------------
            with gr.Tab("Verify", id="verify", elem_id="tab-verify"):
                verify_file = gr.File(label="Drop any file", type="filepath", elem_id="verify-file")
                verify_button = gr.Button("Verify", elem_id="verify-button")
                verify_text = gr.Textbox(
                    label="Manifest, record and watermark", lines=14, elem_id="verify-text"
                )
                verify_json = gr.JSON(label="Report (artgan verify --json)", elem_id="verify-json")

        # --- handlers ------------------------------------------------------------------------
        @readable
        def refresh_runs(current, edit_current, restyle_current, upscale_current, inpaint_c):
            latent = latent_runs()
            every = [r.name for r in list_runs(folders)]
            return (
                _dropdown(latent, current),
                _dropdown(latent, edit_current),
                _dropdown(run_choices(folders, Translator), restyle_current),
                _dropdown(run_choices(folders, Upscaler), upscale_current),
                _dropdown(run_choices(folders, Inpainter), inpaint_c),
                _dropdown(every),
            )

        run_dropdowns = [run, edit_run, restyle_run, upscale_run, inpaint_run]
        refresh_outputs = [*run_dropdowns, train_resume_run]
        refresh.click(refresh_runs, run_dropdowns, refresh_outputs, api_name="runs")
        app.load(refresh_runs, run_dropdowns, refresh_outputs, api_name=False)

        @readable
        def pick_run(name):
            if not name:
                return gr.update(choices=[], value=[])
            model = create.latent_image_model(models, folders.run(name))
            return gr.update(choices=model.class_names if model.conditional else [], value=[])

        run.change(pick_run, run, styles, api_name=False)

        @readable
        def do_generate(name, seed_value, n, trunc, chosen, blend_text, steer_on):
            if not name:
                raise gr.Error("choose a run first", print_exception=False)
            classes = create.class_request(chosen, blend_text)
            result = create.generate(
                folders, models, name, n, seed_value or 0, trunc or 0.0, classes, steer_on
            )
            items = [(shown(image), result.caption(i)) for i, image in enumerate(result.images)]
            said = f"{len(result)} samples of {name}, seed {result.seed}"
            if result.steered_by:
                said += f", steered by {result.steered_by} likes and dislikes"
            return items, result, None, said

        generate.click(
            do_generate,
            [run, seed, count, truncation, styles, blend, steer],
            [gallery, page, index, create_status],
            api_name="generate",
        )

        def select(event: gr.SelectData):
            return event.index

        gallery.select(select, None, index, api_name=False)

        @readable
        def do_like(current, i):
            return create.verdict(folders, current, i, True)

        @readable
        def do_dislike(current, i):
            return create.verdict(folders, current, i, False)

        like.click(do_like, [page, index], create_status, api_name="like")
        dislike.click(do_dislike, [page, index], create_status, api_name="dislike")

        @readable
        def do_save(current, i, name, width):
            path = create.save(folders, models, current, i, name, width or 0)
            return offered(path), f"saved {path.name} in {path.parent} (signed; Verify checks it)"

        save.click(
            do_save, [page, index, save_name, enlarge], [saved, create_status], api_name="save"
        )

        @readable
        def send_to_edit(current, i):
            chosen = edit.subject_from_page(current, i)
            picture = shown(edit.edited(models, folders, chosen, [0.0] * edit.DIRECTIONS))
            zeros = [0.0] * edit.DIRECTIONS
            return (
                chosen,
                gr.update(value=chosen.run),
                f"editing {chosen.source}",
                picture,
                *zeros,
                gr.Tabs(selected="edit"),
            )

        to_edit.click(
            send_to_edit,
            [page, index],
            [subject, edit_run, edit_source, edit_image, *sliders, tabs],
            api_name="send_to_edit",
        )

        def sender(target_tab: str):
            @readable
            def send(current, i):
                if current is None:
                    raise gr.Error("generate a page and select an image first")
                return shown(current.images[current.check_index(i)]), gr.Tabs(selected=target_tab)

            return send

        to_restyle.click(sender("restyle"), [page, index], [restyle_input, tabs], api_name=False)
        to_upscale.click(sender("upscale"), [page, index], [upscale_input, tabs], api_name=False)
        to_inpaint.click(sender("inpaint"), [page, index], [inpaint_editor, tabs], api_name=False)

        # --- Edit handlers -------------------------------------------------------------------
        @readable
        def do_invert(name, upload, steps):
            if not name:
                raise gr.Error("choose a run first", print_exception=False)
            chosen, psnr = edit.invert_upload(folders, models, name, upload, steps)
            picture = shown(edit.edited(models, folders, chosen, [0.0] * edit.DIRECTIONS))
            said = f"editing {chosen.source} (reconstruction PSNR {psnr:.1f} dB)"
            return (chosen, said, picture, *([0.0] * edit.DIRECTIONS))

        invert.click(
            do_invert,
            [edit_run, edit_upload, invert_steps],
            [subject, edit_source, edit_image, *sliders],
            api_name="invert",
        )

        @readable
        def do_edit(chosen, *strengths):
            return shown(edit.edited(models, folders, chosen, strengths))

        for slider in sliders:  # live: each move by the person redraws (one generator call)
            slider.input(
                do_edit,
                [subject, *sliders],
                edit_image,
                api_name=False,
                show_progress="hidden",
                trigger_mode="always_last",
            )
        gr.Button(visible=False).click(do_edit, [subject, *sliders], edit_image, api_name="edit")

        edit_reset.click(lambda: [0.0] * edit.DIRECTIONS, None, sliders, api_name=False)

        @readable
        def do_edit_save(chosen, name, *strengths):
            return offered(edit.save_edit(models, folders, chosen, strengths, name))

        edit_save.click(
            do_edit_save, [subject, edit_name, *sliders], edit_file, api_name="edit_save"
        )

        # --- Restyle / Upscale / Inpaint handlers --------------------------------------------
        def tool(work, missing: str):
            """A handler running ``work(folders, models, run, *inputs)`` (a transform.py
            function) and showing its image and offering its saved file."""

            @readable
            def handler(name, *inputs):
                if not name:
                    raise gr.Error(missing, print_exception=False)
                image, path = work(folders, models, name, *inputs)
                return shown(image), offered(path)

            return handler

        def inpaint_unprocessed(folders, models, name, value):
            """transform.inpaint on the editor's value as Gradio received it, undecoded."""
            with editor_files(value, inpaint_editor.blob_storage) as editor:
                return transform.inpaint(folders, models, name, editor)

        tools = [
            (
                transform.restyle,
                "a cyclegan or pix2pix run",
                restyle_button,
                [restyle_run, restyle_input, direction],
                [restyle_output, restyle_file],
                "restyle",
            ),
            (
                transform.upscale,
                "a super-resolution run",
                upscale_button,
                [upscale_run, upscale_input],
                [upscale_output, upscale_file],
                "upscale",
            ),
            (
                inpaint_unprocessed,
                "an inpainting run",
                inpaint_button,
                [inpaint_run, inpaint_editor],
                [inpaint_output, inpaint_file],
                "inpaint",
            ),
        ]
        for work, what, button, inputs, outputs, api_name in tools:
            button.click(
                tool(work, f"choose {what} first"),
                inputs,
                outputs,
                api_name=api_name,
                # The editor's images reach the handler undecoded (see editor_files); the
                # other tools' gr.Image(type="filepath") inputs are only moved, not decoded.
                preprocess=work is not inpaint_unprocessed,
            )

        @readable
        def do_transfer(content, style, steps):
            image, path = transform.transfer_style(folders, content, style, steps)
            return shown(image), offered(path)

        transfer_button.click(
            do_transfer,
            [restyle_input, style_image, transfer_steps],
            [restyle_output, restyle_file],
            api_name="style_transfer",
        )

        # --- Train handlers ------------------------------------------------------------------
        def show(name, state=None):
            if not name:
                return _progress_html(0, 0), "", None, None
            state = state or jobs.progress(name)
            table = pd.DataFrame(state.losses, columns=["step", "series", "value"])
            preview = str(state.preview) if state.preview else None
            return _progress_html(state.step, state.steps), state.message, preview, table

        @readable
        def do_start(name, data, family, steps, extra):
            job = jobs.start(name, data, family, steps, extra)
            return (
                folders.run_name(job.run),
                *show(folders.run_name(job.run)),
                gr.Timer(active=True),
                None,  # what the tab shows is new: the next refresh sends everything
            )

        train_outputs = [train_progress, train_status, train_preview, train_loss]
        train_start.click(
            do_start,
            [train_name, train_data, train_family, train_steps, train_extra],
            [training_run, *train_outputs, timer, train_shown],
            api_name="train_start",
        )

        @readable
        def do_resume(name, steps):
            job = jobs.resume(name, steps)
            return (folders.run_name(job.run), *show(name), gr.Timer(active=True), None)

        train_resume.click(
            do_resume,
            [train_resume_run, train_steps],
            [training_run, *train_outputs, timer, train_shown],
            api_name="train_resume",
        )

        @readable
        def do_stop(name):
            if not name:
                raise gr.Error("no training started in this tab", print_exception=False)
            said = jobs.stop(name)
            return said

        train_stop.click(do_stop, training_run, train_status, api_name="train_stop")

        @readable
        def tick(name, last):
            """The Train tab's refresh (each TRAIN_REFRESH_S): the preview and the loss curve
            are sent only when they changed, so that neither the server nor the browser
            redraws them every second while a training starts or between its log lines."""
            if not name:
                return (*show(name), gr.Timer(active=False), None)
            state = jobs.progress(name)
            progress, message, preview, table = show(name, state)
            now = (state.step, preview)
            if last is not None and tuple(last) == now:
                preview, table = gr.skip(), gr.skip()
            elif last is not None and last[1] == preview:
                preview = gr.skip()
            active = state.state == "training"
            return progress, message, preview, table, gr.Timer(active=active), now

        timer.tick(
            tick,
            [training_run, train_shown],
            [*train_outputs, timer, train_shown],
            api_name=False,
            show_progress="hidden",  # no loading overlay flashing on the outputs every second
        )

        @readable
        def status(name):
            state = jobs.progress(name)
            return {
                "run": name,
                "state": state.state,
                "step": state.step,
                "steps": state.steps,
                "message": state.message,
            }

        gr.Button(visible=False).click(
            status, train_resume_run, gr.JSON(visible=False), api_name="train_status"
        )

        # --- Verify handler ------------------------------------------------------------------
        @readable
        def do_verify(upload):
            name = Path(upload).name if upload else None
            verdict = verify_upload(folders, upload, name)
            return verdict.text, verdict.report

        verify_button.click(do_verify, verify_file, [verify_text, verify_json], api_name="verify")
        verify_file.upload(do_verify, verify_file, [verify_text, verify_json], api_name=False)

    return app


@contextlib.contextmanager
def editor_files(value: dict | None, blobs: dict):
    """An ImageEditor's value as {"background": path, "layers": [paths]}, nothing decoded.

    Gradio's own preprocessing of gr.ImageEditor decodes every image of the value (to convert
    its colour mode) before a handler could check its size, so the Inpaint event takes the
    value raw (``preprocess=False``) and the --max-megapixels check (StudioFolders.
    upload_image, from the header) comes first, as for every other upload. The raw value
    names uploaded files (a client's FileData) or, from the page, an ``id`` under which the
    page's canvas posted its images as PNG bytes (``ImageEditor.accept_blobs``, kept in the
    component's ``blob_storage``); those bytes are written, undecoded, into a temporary
    folder inside the upload folder, removed afterwards."""
    value = value or {}
    blob = blobs.pop(value.get("id"), None) if value.get("id") else None
    if blob is None:
        layers = [_file_path(layer) for layer in value.get("layers") or []]
        yield {"background": _file_path(value.get("background")), "layers": layers}
        return
    uploads = Path(get_upload_folder())
    uploads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=uploads, prefix="editor-") as folder:

        def written(data: bytes | None, name: str) -> str | None:
            if not data:
                return None
            path = Path(folder) / name
            path.write_bytes(data)
            return str(path)

        layers = [written(data, f"layer-{i}.png") for i, data in enumerate(blob.layers)]
        yield {
            "background": written(blob.background, "background.png"),
            "layers": [layer for layer in layers if layer],
        }


def _file_path(file) -> str | None:
    """The path of a FileData value (a dict once Gradio has validated it), or None."""
    return file.get("path") if isinstance(file, dict) else file


def _progress_html(step: int, steps: int) -> str:
    fraction = min(1.0, step / steps) if steps else 0.0
    return (
        f'<progress id="train-progress-bar" value="{step}" max="{max(steps, 1)}" '
        f'style="width:100%"></progress><div>{fraction:.0%} ({step} / {steps} steps)</div>'
    )


def warm_up(studio: Studio) -> None:
    """Load the first run's model and draw one image while the server starts, so the first
    Generate does not wait for the weights (about half of its time on a 64 px run)."""
    choices = run_choices(studio.folders, LatentGenerator)
    if choices:
        try:
            create.generate(studio.folders, studio.models, choices[0], 1, 0)
        except ArtganError:  # a broken run: its own Generate will say what is wrong
            pass


def launch(
    studio: Studio,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    share: bool = False,
    block: bool = True,
    quiet: bool = False,
):
    """Serve the page; returns (app, url). ``block=False`` returns at once (tests)."""
    app = build_app(studio)
    threading.Thread(target=warm_up, args=(studio,), daemon=True).start()
    app.queue(default_concurrency_limit=2)
    app.launch(
        server_name=host,
        server_port=port,
        share=share,
        prevent_thread_lock=not block,
        quiet=quiet,
        show_error=True,  # a failure outside the handlers is one line in the page too
        max_file_size=MAX_FILE_SIZE,
        footer_links=[],
        theme=THEME,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
    )
    return app, app.local_url
