"""The acting user of the tests: the OS user, who is the first administrator of a new register."""

from __future__ import annotations

from governance_desktop.services.users import os_username

ME = os_username()
