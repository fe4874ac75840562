"""Each program run under mocks takes about a second; runs shared by many tests are made once."""

from __future__ import annotations

import pytest

from tests.harness import Deployment, run_program, stack_config


@pytest.fixture(scope="session")
def dev() -> Deployment:
    """The committed dev sample stack (two tenants), run through ``__main__.py``."""
    return run_program(stack_config("dev"), stack="dev")


@pytest.fixture(scope="session")
def prod() -> Deployment:
    return run_program(stack_config("prod"), stack="prod")
