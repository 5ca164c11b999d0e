"""Audio: WAV/FLAC/OGG round trips, resampling, clips, folders with bad files, spoken digits."""

import io
import shutil
import wave

import numpy as np
import pytest
import torch

from artgan.audio import (
    SAMPLE_RATE,
    _read_pcm_wav,
    read_audio,
    resample,
    spectrogram_sheet,
    wav_bytes,
)
from artgan.config import DataConfig
from artgan.data import load_dataset
from artgan.data.audio import AudioDataset, clips_of, load_audio_folder
from artgan.errors import DataError
from artgan.provenance import GenerationRecord, write_audio
from artgan.provenance.output import read_record


def tone(freq: float, seconds: float, rate: int = SAMPLE_RATE, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def pcm_wav(path, samples: np.ndarray, rate: int, width: int = 2) -> None:
    """Integer PCM WAV with the standard library; samples (T,) or (T, channels)."""
    x = samples if samples.ndim == 2 else samples[:, None]
    scale = 2 ** (8 * width - 1) - 1
    ints = np.round(x * scale).astype(np.int64)
    if width == 1:  # 8-bit WAV is unsigned
        raw = (ints + 128).astype(np.uint8).tobytes()
    elif width == 3:
        raw = ints.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    else:
        raw = ints.astype(f"<i{width}").tobytes()
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(x.shape[1])
        handle.setsampwidth(width)
        handle.setframerate(rate)
        handle.writeframes(raw)


def test_write_audio_round_trips_within_one_16_bit_step(tmp_path):
    wave_in = tone(440, 0.25)
    record = GenerationRecord(model_family="wavegan", seed=3)
    path = write_audio(torch.from_numpy(wave_in)[None], SAMPLE_RATE, tmp_path / "a.wav", record)
    samples, rate = read_audio(path)
    assert rate == SAMPLE_RATE and samples.shape == (len(wave_in), 1)
    assert np.abs(samples[:, 0] - wave_in).max() <= 1 / 32767
    assert read_record(path)["seed"] == 3  # from the manifest inside the WAV


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_standard_library_reader_decodes_every_pcm_width(tmp_path, width):
    stereo = np.stack([tone(300, 0.05), -tone(300, 0.05)], axis=1)
    pcm_wav(tmp_path / "s.wav", stereo, 22_050, width)
    samples, rate = _read_pcm_wav(tmp_path / "s.wav")
    assert rate == 22_050 and samples.shape == stereo.shape
    assert np.abs(samples - stereo).max() <= 2.0 / 2 ** (8 * width - 1) + 1e-6


@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_flac_and_ogg_decode(tmp_path, fmt):
    soundfile = pytest.importorskip("soundfile")
    path = tmp_path / f"t.{fmt.lower()}"
    soundfile.write(str(path), tone(440, 0.5), SAMPLE_RATE, format=fmt)
    samples, rate = read_audio(path)
    assert rate == SAMPLE_RATE and abs(len(samples) - SAMPLE_RATE // 2) < 100
    spectrum = np.abs(np.fft.rfft(samples[:, 0]))
    assert abs(np.argmax(spectrum) * rate / len(samples) - 440) < 3


def test_resampling_keeps_pitch_and_duration():
    x = tone(1000, 1.0, rate=22_050)
    y = resample(x, 22_050, SAMPLE_RATE)
    assert len(y) == SAMPLE_RATE
    peak_hz = np.argmax(np.abs(np.fft.rfft(y))) * SAMPLE_RATE / len(y)
    assert peak_hz == pytest.approx(1000, abs=1)


def test_clips_pad_short_sounds_and_cut_long_ones():
    x = np.arange(1, 11, dtype=np.float32)
    assert np.array_equal(clips_of(x[:3], 4)[0], [1, 2, 3, 0])
    cut = clips_of(x, 4)  # 4 + 4 + a last piece of 2 >= 4 / 2: padded and kept
    assert [c.tolist() for c in cut] == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 0, 0]]
    assert len(clips_of(x[:9], 4)) == 2  # a last piece of 1 < 2 is left out


def write_folder(root, bad: bool = True):
    """Two classes of tones (16 kHz mono, 44.1 kHz stereo) plus unreadable files."""
    (root / "low").mkdir(parents=True)
    (root / "high").mkdir()
    pcm_wav(root / "low" / "a.wav", tone(200, 0.5), SAMPLE_RATE)
    pcm_wav(root / "low" / "b.wav", tone(250, 2.2), SAMPLE_RATE)  # two clips
    stereo = np.stack([tone(2000, 0.5, 44_100), tone(2000, 0.5, 44_100)], axis=1)
    pcm_wav(root / "high" / "c.wav", stereo, 44_100)
    if bad:
        (root / "high" / "noise.wav").write_bytes(b"RIFF\x00\x00garbage" * 10)
        (root / "high" / "empty.flac").write_bytes(b"")
        (root / "low" / "text.ogg").write_text("not a sound")
        (root / "notes.txt").write_text("ignored: not a sound file")


def test_folder_skips_and_counts_unreadable_files(tmp_path):
    write_folder(tmp_path / "sounds")
    with pytest.warns(UserWarning, match="skipped 3 unreadable"):
        data = load_dataset(DataConfig(source=str(tmp_path / "sounds")), 16_384)
    assert isinstance(data, AudioDataset) and data.kind == "audio"
    assert data.report.skipped == 3 and len(data.report.skipped_examples) == 3
    assert data.x.shape == (4, 1, 16_384) and data.x.dtype == torch.float32
    assert data.x.abs().max() <= 1
    assert data.class_names == ["high", "low"]
    assert sorted(data.y.tolist()) == [0, 1, 1, 1]
    batch = data.get(torch.tensor([0, 2]))
    assert batch.x.shape == (2, 1, 16_384) and batch.y.shape == (2,)
    stereo_clip = data.x[data.y == 0][0, 0].numpy()  # resampled 2 kHz tone, now 16 kHz mono
    peak_hz = np.argmax(np.abs(np.fft.rfft(stereo_clip[:8000]))) * SAMPLE_RATE / 8000
    assert peak_hz == pytest.approx(2000, abs=2)


def test_folder_of_only_bad_files_is_a_data_error(tmp_path):
    (tmp_path / "bad.wav").write_bytes(b"nope")
    with pytest.raises(DataError, match="no readable sound file"):
        load_audio_folder(tmp_path, DataConfig())


def test_spectrogram_sheet_puts_high_pitch_higher():
    waves = torch.from_numpy(np.stack([tone(300, 1.0)[:16_384], tone(4000, 1.0)[:16_384]]))
    sheet = spectrogram_sheet(waves[:, None], SAMPLE_RATE, columns=2)
    assert sheet.dtype == np.uint8 and sheet.ndim == 3 and sheet.shape[2] == 3
    half = sheet.shape[1] // 2
    rows_low = sheet[:, 2:half].astype(int).sum(axis=(1, 2))
    rows_high = sheet[:, half + 2 :].astype(int).sum(axis=(1, 2))
    assert np.argmax(rows_high[2:-2]) < np.argmax(rows_low[2:-2])  # row 0 is the top


def test_wav_bytes_is_a_valid_16_bit_file():
    with wave.open(io.BytesIO(wav_bytes(np.zeros(160), 8000))) as handle:
        assert (
            handle.getnchannels(),
            handle.getsampwidth(),
            handle.getframerate(),
            handle.getnframes(),
        ) == (1, 2, 8000, 160)


def test_spoken_digits_explain_a_missing_espeak(monkeypatch, tmp_path):
    from artgan.data import spoken_digits

    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path))
    monkeypatch.setattr(spoken_digits.shutil, "which", lambda name: None)
    with pytest.raises(DataError, match="apt-get install espeak-ng"):
        load_dataset(DataConfig(source="spoken_digits", size=10))


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_spoken_digits_are_synthesised_once_and_cached(monkeypatch, tmp_path):
    from artgan.data import spoken_digits

    monkeypatch.setenv("ARTGAN_CACHE", str(tmp_path))
    train = load_dataset(DataConfig(source="spoken_digits", size=10), 16_384)
    assert train.x.shape == (10, 1, 16_384) and sorted(train.y.tolist()) == list(range(10))
    assert train.class_names[7] == "7-seven"
    assert 0.05 < train.x.abs().amax(dim=(1, 2)).min() and train.x.abs().max() < 1
    folder = next((tmp_path / "spoken_digits").iterdir())
    assert (folder / "COMPLETE").is_file()
    assert (folder / "train" / "manifest.csv").read_text().startswith("file,digit,voice")
    monkeypatch.setattr(spoken_digits, "espeak_binary", lambda: pytest.fail("synthesised again"))
    test = load_dataset(DataConfig(source="spoken_digits", size=10, split="test"), 16_384)
    assert len(test) == 10
    assert not torch.equal(test.x, train.x)  # drawn independently of the training clips
