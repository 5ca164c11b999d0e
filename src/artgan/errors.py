"""Errors a user sees. The CLI prints ``str(error)`` on one line and exits with status 2."""


class ArtganError(Exception):
    """Base class: something the user can fix (bad input, bad name, bad file)."""


class ConfigError(ArtganError):
    """A configuration value is missing, malformed or out of range."""


class UnknownNameError(ConfigError):
    """A registry lookup failed; the message lists the valid names."""


class DataError(ArtganError):
    """A dataset could not be found, read or used."""


class CheckpointError(ArtganError):
    """A run or checkpoint is missing, truncated, corrupted or of another kind."""


class TrainingDivergedError(ArtganError):
    """A loss became NaN or infinite; the message names the last good checkpoint."""
