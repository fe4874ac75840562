"""Issues, pull requests and comments of local_git repositories, in the tenant's schema.

Every statement runs in ``Database.tenant_transaction`` (the tenant's role, its schema), so
PostgreSQL itself keeps one tenant's records from another. ``LocalIssues`` is also how the demo
and tests file issues and comments, since a bare repository has no issue tracker.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.errors import UniqueViolation

from shared.adapters.store.postgres.database import Database, TenantTx
from shared.domain.errors import InvalidInput, ScmNotFound
from shared.domain.scm import Comment, PullRequest, PullRequestDraft, SourceItem
from shared.domain.task import SourceKind
from shared.ports.tenants import TenantDirectory

_KINDS = {SourceKind.ISSUE: "issue", SourceKind.PULL_REQUEST: "pull_request"}
_TABLES = {"issue": "scm_issues", "pull_request": "scm_pull_requests"}
_INSERT_COMMENT = (
    "INSERT INTO scm_comments (repository, target_kind, target_number, author, body)"
    " VALUES (%s, %s, %s, %s, %s) RETURNING id, author, body, created_at"
)


def record_kind(kind: SourceKind) -> str:
    try:
        return _KINDS[kind]
    except KeyError:
        raise InvalidInput(f"local_git has no {kind}", code="scm-unsupported-kind") from None


def _number(source_id: str) -> int:
    if not source_id.isdigit():
        raise InvalidInput(f"local_git numbers are digits, not {source_id!r}")
    return int(source_id)


def _comment(row: dict[str, Any]) -> Comment:
    created = row["created_at"]
    return Comment(
        str(row["id"]),
        str(row["author"]),
        str(row["body"]),
        created if isinstance(created, datetime) else None,
    )


class LocalIssues:
    """Records of one tenant's local repositories. Construction does no I/O."""

    def __init__(self, db: Database, tenants: TenantDirectory) -> None:
        self._db = db
        self._tenants = tenants

    def transaction(self, tenant: str) -> AbstractContextManager[TenantTx]:
        """A transaction in ``tenant``'s schema, as its role (the local_git records' only way)."""
        return self._db.tenant_transaction(self._tenants.locate(tenant))

    @staticmethod
    def _next_number(tx: TenantTx, repository: str, kind: str) -> int:
        row = tx.conn.execute(
            "INSERT INTO scm_counters (repository, kind, last_number) VALUES (%s, %s, 1) "
            "ON CONFLICT (repository, kind) DO UPDATE "
            "SET last_number = scm_counters.last_number + 1 RETURNING last_number",
            (repository, kind),
        ).fetchone()
        assert row is not None
        return int(str(row["last_number"]))

    # --- issues and comments (also the demo's and tests' way in) --------------------------------
    def create_issue(
        self,
        tenant: str,
        repository: str,
        *,
        title: str,
        body: str = "",
        author: str,
        labels: tuple[str, ...] = (),
    ) -> int:
        """File an issue; returns its number."""
        with self.transaction(tenant) as tx:
            number = self._next_number(tx, repository, "issue")
            tx.conn.execute(
                "INSERT INTO scm_issues (repository, number, title, body, author, labels) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (repository, number, title, body, author, list(labels)),
            )
            return number

    def add_comment(
        self,
        tenant: str,
        repository: str,
        kind: SourceKind,
        source_id: str,
        *,
        author: str,
        body: str,
    ) -> Comment:
        with self.transaction(tenant) as tx:
            self._require(tx, repository, kind, _number(source_id))
            row = tx.conn.execute(
                _INSERT_COMMENT,
                (repository, record_kind(kind), _number(source_id), author, body),
            ).fetchone()
            assert row is not None
            return _comment(row)

    @staticmethod
    def _require(
        tx: TenantTx, repository: str, kind: SourceKind, number: int, *, lock: bool = False
    ) -> dict[str, Any]:
        """The issue or pull request row (locked for the transaction when ``lock``)."""
        query = sql.SQL("SELECT * FROM {} WHERE repository = %s AND number = %s{}").format(
            sql.Identifier(_TABLES[record_kind(kind)]), sql.SQL(" FOR UPDATE" if lock else "")
        )
        row = tx.conn.execute(query, (repository, number)).fetchone()
        if row is None:
            raise ScmNotFound(f"local_git: no {kind} #{number} in {repository!r}")
        return row

    def _comments(
        self, tx: TenantTx, repository: str, kind: SourceKind, number: int
    ) -> list[dict[str, Any]]:
        return tx.conn.execute(
            "SELECT id, author, body, created_at FROM scm_comments "
            "WHERE repository = %s AND target_kind = %s AND target_number = %s ORDER BY id",
            (repository, record_kind(kind), number),
        ).fetchall()

    def get_source(
        self, tenant: str, repository: str, kind: SourceKind, source_id: str
    ) -> SourceItem:
        number = _number(source_id)
        with self.transaction(tenant) as tx:
            row = self._require(tx, repository, kind, number)
            comments = tuple(_comment(c) for c in self._comments(tx, repository, kind, number))
        path = "issues" if kind is SourceKind.ISSUE else "pulls"
        return SourceItem(
            kind=kind,
            id=str(number),
            title=str(row["title"]),
            body=str(row["body"]),
            author=str(row["author"]),
            labels=tuple(row["labels"] or ()),
            comments=comments,
            url=f"local_git://{repository}/{path}/{number}",
        )

    def upsert_comment(
        self,
        tenant: str,
        repository: str,
        kind: SourceKind,
        source_id: str,
        *,
        author: str,
        body: str,
        marker: str,
    ) -> Comment:
        """Update the target's comment containing ``marker``, or add one; one transaction, the
        target row locked, so two concurrent calls still leave one comment."""
        number = _number(source_id)
        with self.transaction(tenant) as tx:
            self._require(tx, repository, kind, number, lock=True)
            row = tx.conn.execute(
                "UPDATE scm_comments SET body = %s, updated_at = now() WHERE id = ("
                " SELECT id FROM scm_comments WHERE repository = %s AND target_kind = %s"
                " AND target_number = %s AND strpos(body, %s) > 0 ORDER BY id LIMIT 1)"
                " RETURNING id, author, body, created_at",
                (body, repository, record_kind(kind), number, marker),
            ).fetchone()
            if row is None:
                row = tx.conn.execute(
                    _INSERT_COMMENT, (repository, record_kind(kind), number, author, body)
                ).fetchone()
            assert row is not None
            return _comment(row)

    # --- pull requests --------------------------------------------------------------------------
    @staticmethod
    def _pull(repository: str, row: dict[str, Any], *, created: bool) -> PullRequest:
        number = int(str(row["number"]))
        return PullRequest(
            number,
            f"local_git://{repository}/pulls/{number}",
            str(row["source_branch"]),
            str(row["title"]),
            str(row["state"]),
            created,
        )

    def find_pull_request(self, tenant: str, repository: str, branch: str) -> PullRequest | None:
        with self.transaction(tenant) as tx:
            row = tx.conn.execute(
                "SELECT number, source_branch, title, state FROM scm_pull_requests "
                "WHERE repository = %s AND source_branch = %s AND state = 'open'",
                (repository, branch),
            ).fetchone()
        return self._pull(repository, row, created=False) if row else None

    def open_pull_request(
        self, tenant: str, repository: str, draft: PullRequestDraft, *, head_sha: str, author: str
    ) -> PullRequest:
        existing = self.find_pull_request(tenant, repository, draft.branch)
        if existing is not None:
            return existing
        try:
            with self.transaction(tenant) as tx:
                number = self._next_number(tx, repository, "pull_request")
                row = tx.conn.execute(
                    "INSERT INTO scm_pull_requests (repository, number, source_branch,"
                    " target_branch, head_sha, title, body, author, labels, draft)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                    " RETURNING number, source_branch, title, state",
                    (
                        repository,
                        number,
                        draft.branch,
                        draft.base_branch,
                        head_sha,
                        draft.title,
                        draft.body,
                        author,
                        list(draft.labels),
                        draft.draft,
                    ),
                ).fetchone()
                assert row is not None
                return self._pull(repository, row, created=True)
        except UniqueViolation:  # a concurrent call opened it first: that one is the answer
            winner = self.find_pull_request(tenant, repository, draft.branch)
            assert winner is not None
            return winner
