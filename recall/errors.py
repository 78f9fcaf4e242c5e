"""The library layer's errors: a message, a title and the exit code a front end uses."""

from __future__ import annotations


class LibraryError(Exception):
    """Root of the library's errors (the front ends report it like their own error tree).

    ``message`` is one line naming the file, key or value at fault; ``title`` is a short
    heading for the app's error dialog; ``exit_code`` is what the command line exits with.
    """

    title = "Library error"
    exit_code = 2

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class StudioError(LibraryError):
    """A studio file that cannot be used: names the file, the key and what was expected."""

    title = "Bad studio file"
    exit_code = 2


class NotFound(LibraryError):
    """A session, song, revision or note that the library does not hold."""

    title = "Not found"
    exit_code = 2


class FrozenRevision(LibraryError):
    """A change to a revision that has been printed: a change starts a new revision instead."""

    title = "Revision is frozen"
    exit_code = 2
