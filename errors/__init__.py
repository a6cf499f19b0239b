"""The one exception family for expected failures, and the exit codes they map to.

The ground floor of the layers: it imports nothing of the project.

The CLI edge (main.py) turns these into messages and exit codes; anything else is a bug.
"""

from __future__ import annotations


class ServiceError(Exception):
    """An expected failure the operator can act on."""

    exit_code = 1


class ConfigError(ServiceError):
    """config.yaml (or a file it names) is missing or invalid."""

    exit_code = 2


class NothingToReview(ConfigError):
    """`review` names a report the service has not read: there is nothing to decide on yet."""


class DeliveryError(ServiceError):
    """Some emails could not be delivered and stay queued for the next run."""

    exit_code = 3


class SourceError(ServiceError):
    """The service itself could not read some units' sheets this run (not the units' doing)."""

    exit_code = 4


class ChecksFailed(ServiceError):
    """`doctor` found problems; each is printed with its fix."""

    exit_code = 5


class AlreadyRunning(ServiceError):
    """Another `run` holds the lock beside the state file; this one sent nothing."""

    exit_code = 6


class StoreError(ServiceError):
    """The state file cannot be used (not a database, damaged, newer, read-only: it was left untouched;
    locked by another process beyond the busy timeout: nothing more was recorded)."""

    exit_code = 7


# What each exit code means, for the README's table (tests/test_docs.py keeps them equal) and --help.
EXIT_CODES = {
    0: "the command ran, whatever state the units' reports are in",
    1: "unexpected failure: a bug (the traceback is on stderr and in the log file)",
    ConfigError.exit_code: "bad configuration (the message gives the key path and the reason) or command line",
    DeliveryError.exit_code: "some emails could not be delivered; they stay queued for the next run",
    SourceError.exit_code: (
        "the service itself could not read some sheets (a key refused, an API off, the quota spent,"
        " every sheet failing alike); the others were judged and mailed"
    ),
    ChecksFailed.exit_code: "doctor found problems",
    AlreadyRunning.exit_code: "another run holds the lock on the state file; this one did nothing",
    StoreError.exit_code: "the state file cannot be used (not a database, damaged, newer, read-only, or missing"
    " for backup: it was left untouched; or locked by another process: nothing more was recorded)",
}
