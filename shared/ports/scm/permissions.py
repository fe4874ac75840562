"""The ``RepositoryPermissions`` port: who may push to the connection's repository, and who the
connection itself is.

Asked by the patch flow's first activity (never by the webhook acknowledgement), before any
repository read or LLM call. Errors are the ``Scm*`` domain errors of ``shared.ports.scm``; a
person the SCM does not know, or who is no member, is an answer (``can_write=False``), not an
error.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from shared.domain.access import RepositoryAccess, ScmUser


class RepositoryPermissions(ABC):
    @abstractmethod
    def access(
        self, tenant: str, user: ScmUser, *, writer_groups: tuple[str, ...] = ()
    ) -> RepositoryAccess:
        """``user``'s access to the repository. ``writer_groups`` names groups whose members
        count as writers where the SCM has such groups (Azure DevOps); others ignore it."""

    @abstractmethod
    def own_account(self, tenant: str) -> str:
        """The account the connection acts as (its comments are never commands), or ``""``
        where the SCM cannot say (a GitHub App acts as ``<app>[bot]``, refused by shape)."""
