"""What artgan's C2PA writing (provenance/c2pa_sign.py) and reading (provenance/verify.py, and
data/consent.py's do-not-train marks) share: the formats whose manifest lives inside the file,
and the settings for offline use. Below data/ and provenance/, so both import it."""

from __future__ import annotations

# Formats whose manifest lives inside the file, each signed and verified here.
EMBEDDABLE = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".wav": "audio/wav",
}

# Settings for offline, deterministic use: no thumbnail (a generated image needs no copy of
# itself, and a noisy one makes a thumbnail larger than the image), and no network fetches.
OFFLINE_SETTINGS = {
    "builder": {"thumbnail": {"enabled": False}},
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
}
