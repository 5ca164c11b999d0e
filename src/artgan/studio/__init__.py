"""The studio (issue 17): a local web app over the library, started by ``artgan studio RUNS``.

The back-end modules here call the same library functions as the command line and write every
file through the one output point; they import no web framework, so they are tested and used
without one. ``app.py`` is the Gradio page over them (the only module importing gradio).

    folders.py    what a request may read and write: the runs, output and data folders only
    runs.py       the runs in the runs folder and what each can do (from its config alone)
    create.py     pages of samples, likes and dislikes, saving a chosen sample
    edit.py       SeFa directions, moving a latent along them, inverting an uploaded image
    transform.py  restyle (cyclegan / pix2pix, neural style transfer), upscale, inpaint
    training.py   ``artgan train`` as a separate process: start, progress, stop, resume
    verify.py     a dropped file's manifest, generation record and watermark
    app.py        the Gradio Blocks page (tabs, elem_ids, one readable message per failure)
"""
