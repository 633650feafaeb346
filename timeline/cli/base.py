"""The `timeline` command group, and how errors become messages.

Errors become messages here and only here: `Error: ...` on stderr, exit code 1, no traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import click

from timeline.environment import environmental, reason
from timeline.errors import ImportFailed, InvalidInput, RecordRejected, TimelineError
from timeline.store import choose_db
from timeline.terminal import escape

if TYPE_CHECKING:
    from timeline.api import OpsTimeline

WRITING = {"import", "record", "log", "project", "rebuild"}


def fail(message: str) -> NoReturn:
    click.echo(escape(f"Error: {message}"), err=True)
    sys.exit(1)


OPTIONS = {"form": "--format"}  # the API keywords whose option is not named after them


def flag(field: str) -> str:
    """The option a Python API keyword is given by: as_recorded -> --as-recorded."""
    return OPTIONS.get(field) or "--" + field.replace("_", "-")


# What the command line adds to the errors whose remedy is one of its options.
HINTS = {
    "OperationNotLaunched": "--unlaunched allows events of operations whose launch nobody "
    "recorded",
    "ReadModelsOfAnotherStore": "run `timeline rebuild`, or name another file with --views",
}


def _hint(*rules: str) -> None:
    for rule in dict.fromkeys(rules):
        if rule in HINTS:
            click.echo(f"({HINTS[rule]})", err=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the errors a user can cause into messages and exit code 1: here, and only here,
    a field becomes the option that sets it."""
    try:
        yield
    except ImportFailed as error:
        click.echo(escape(str(error), keep="\n"), err=True)  # a line each
        _hint(*(line.rule for line in error.errors))
        sys.exit(1)
    except RecordRejected as error:
        click.echo(escape(
            "Error: " + "; ".join(f"{field}: {message}" for field, message in error.problems)
        ), err=True)  # fmt: skip
        _hint(type(error).__name__)
        sys.exit(1)
    except InvalidInput as error:
        fail(f"{flag(error.field)}: {error.message}")
    except TimelineError as error:
        click.echo(escape(f"Error: {error}"), err=True)
        _hint(type(error).__name__)
        sys.exit(1)
    except BrokenPipeError:  # `timeline log | head`: the reader has all it wants
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except Exception as error:
        if not environmental(error):
            raise  # a bug: its traceback is what is needed
        click.echo(escape(f"Error: {reason(error, getattr(error, 'filename', None))}"), err=True)
        sys.exit(1)


def open_timeline(ctx: click.Context) -> OpsTimeline:
    from timeline.api import OpsTimeline

    db = ctx.obj["db"]
    try:
        ops = OpsTimeline(db, views=ctx.obj["views"])
        if ctx.obj["write"]:
            ops.app  # noqa: B018 - open the event store now, to report a bad one here
        return ops
    except TimelineError:
        raise
    except Exception as error:  # the persistence module's own errors: an unreachable store
        fail(f"cannot open the store {choose_db(db)!r}: {error}")


DB_HELP = (
    "The event store: an SQLite file, or a postgresql:// URL. "
    "Default: $TIMELINE_DB, else timeline.db in the working directory."
)
VIEWS_HELP = (
    "The read models' SQLite file. Default: $TIMELINE_VIEWS, else beside the store "
    "(timeline.db -> timeline.views.db)."
)


def _remember(ctx: click.Context, /, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(dict)[str(param.name)] = value


class StoreGroup(click.Group):
    """Every command also takes --db and --views, so they may come after its name too; and
    whatever a command raises that a user can put right is said in one line (user_errors)."""

    def invoke(self, ctx: click.Context) -> object:
        with user_errors():
            return super().invoke(ctx)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        for flag, metavar, text in (("--db", "PATH|URL", DB_HELP), ("--views", "PATH", VIEWS_HELP)):
            option = click.Option(
                [flag], metavar=metavar, help=text, expose_value=False, callback=_remember
            )
            cmd.params.append(option)
        super().add_command(cmd, name)


@click.group(cls=StoreGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH|URL", help=DB_HELP)
@click.option("--views", metavar="PATH", help=VIEWS_HELP)
@click.version_option(package_name="ops-timeline")
@click.pass_context
def main(ctx: click.Context, /, db: str | None, views: str | None) -> None:
    """ops-timeline: an event-sourced record of military operations.

    Events are appended, never edited: a later report_corrected or report_retracted
    changes how an event reads, and the log keeps both.
    """
    ctx.ensure_object(dict)
    ctx.obj.update(db=db, views=views, write=ctx.invoked_subcommand in WRITING)
    # a command's own --db or --views, parsed after this, replaces these (see _remember)
