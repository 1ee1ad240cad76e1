"""Where the CLI gets passwords: `--password-stdin` (one line per password, in the order the
command asks) or a prompt on the terminal. Without either, a signed act or acting as another
user is refused in one line."""

from __future__ import annotations

import argparse
import getpass
import sys

from governance_desktop.app import AppContext
from governance_desktop.cli.output import say
from governance_desktop.domain.errors import AuthenticationError, NotFoundError, ValidationError
from governance_desktop.services.identity import Signer


class Passwords:
    """Reads each password once: from stdin lines with `--password-stdin`, else from a TTY."""

    def __init__(self, from_stdin: bool) -> None:
        self._from_stdin = from_stdin
        self._actor: str | None = None

    def read(self, prompt: str, why: str, needs: str = "needs a password") -> str:
        if self._from_stdin:
            line = sys.stdin.readline()
            if not line:
                raise AuthenticationError(
                    f"{why}: --password-stdin found no password line on stdin (rule: identity)"
                )
            return line.rstrip("\r\n")
        if sys.stdin.isatty():
            return getpass.getpass(prompt)
        raise AuthenticationError(
            f"{why} {needs}: run it in a terminal or pass --password-stdin (rule: identity)"
        )

    def choose(self, username: str, why: str) -> str:
        """A first password for ``username``: on a terminal, asked twice (a typo would set a
        password nobody knows); from stdin, one line."""
        if self._actor is None:
            prompt = f"Choose a password for {username} (it signs your acts): "
            first = self.read(prompt, why, "needs you to choose your first password")
            if not self._from_stdin and self.read("The same password again: ", why) != first:
                raise ValidationError("the two passwords differ; nothing was set", "password")
            self._actor = first
        return self._actor

    def actor(self, username: str, why: str) -> str:
        """``username``'s own password, asked for once per command."""
        if self._actor is None:
            self._actor = self.read(f"Password for {username}: ", why)
        return self._actor


def passwords(args: argparse.Namespace) -> Passwords:
    found: Passwords | None = getattr(args, "passwords", None)
    if found is None:
        found = args.passwords = Passwords(getattr(args, "password_stdin", False))
    return found


def signer(ctx: AppContext, args: argparse.Namespace, act: str) -> Signer:
    """The acting user, re-authenticated by their password, for the signed act ``act``.

    The OS account's own user who has no password yet chooses it here (their first
    signature); anyone else is given one by an admin."""
    source = passwords(args)
    if not args.acting_as_other and not ctx.identity.has_password(args.actor):
        password = source.choose(args.actor, f"{act} is a signed act and")
        ctx.identity.change_own(args.actor, None, password)
        say(f"password set for {args.actor} (it signs your acts from now on)")
    else:
        password = source.actor(args.actor, f"{act} is a signed act and")
    return ctx.identity.signer(args.actor, password)


def sign_in_as(ctx: AppContext, args: argparse.Namespace, *, changing_password: bool) -> None:
    """Acting as a user other than the OS account's needs that user's password."""
    if not ctx.users.existing({args.actor}):  # before asking for a password nobody has
        raise NotFoundError(f"unknown actor '{args.actor}'")
    password = passwords(args).actor(args.actor, f"acting as '{args.actor}'")
    ctx.identity.sign_in(args.actor, password, purpose="change" if changing_password else "act")
