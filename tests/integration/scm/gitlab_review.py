"""Merge request review endpoints of the GitLab emulator: diff versions and discussions.

Shapes follow docs.gitlab.com (Merge requests API "Get a single merge request diff version",
Discussions API "List / Create new merge request thread / Resolve / Modify / Delete a note").
A new version is recorded whenever the source branch moved since the last one, as GitLab does
on push. Creating a positioned discussion is checked as GitLab checks it: the three SHAs of one
of the merge request's versions (an older one too, as GitLab keeps them), a path of that
version's diff, and a new line that is added (no ``old_line``) or unchanged
(with its ``old_line``); anything else is GitLab's 400 about the line code. Notes of another
author answer 403, as GitLab answers a token that did not write them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from tests.integration.scm.forge import Forge
from tests.integration.scm.http_stub import HttpError, Reply, Request

_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_BAD_LINE = '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}'


def line_kinds(patch: str) -> tuple[set[int], dict[int, int]]:
    """New lines added, and new -> old line of unchanged lines, in ``patch``."""
    added: set[int] = set()
    context: dict[int, int] = {}
    old = new = 0
    for raw in patch.splitlines():
        if m := _HUNK.match(raw):
            old, new = int(m.group(1)), int(m.group(2))
        elif raw.startswith("+"):
            added.add(new)
            new += 1
        elif raw.startswith("-"):
            old += 1
        elif raw.startswith(" "):
            context[new] = old
            old, new = old + 1, new + 1
    return added, context


class GitlabReviewApi:
    """Mixed into ``GitlabEmulator``, which holds ``forge``, ``merge_requests``, ``notes``,
    ``_ids`` and pages lists with ``_paginate``."""

    forge: Forge
    merge_requests: list[dict[str, Any]]
    notes: dict[tuple[str, int], list[dict[str, Any]]]
    _ids: Iterator[int]
    _paginate: Callable[[Request, list[Any]], Reply]
    #: GitLab's "Maximum diff patch size" (bytes, default 200 KiB): a file's diff over it is
    #: ``too_large``, one over a tenth of it ``collapsed``; both then come without ``diff``.
    #: Positions are still checked against the whole diff, as GitLab does.
    diff_patch_limit = 204_800

    def review_routes(self, p: str) -> list[tuple[str, str, Any]]:
        mr = rf"{p}/merge_requests/(?P<iid>\d+)"
        d = rf"{mr}/discussions/(?P<did>[0-9a-f]+)"
        return [
            ("GET", rf"{mr}/versions", self.list_versions),
            ("GET", rf"{mr}/versions/(?P<vid>\d+)", self.get_version),
            ("GET", rf"{mr}/discussions", self.list_discussions),
            ("POST", rf"{mr}/discussions", self.create_discussion),
            ("PUT", d, self.resolve_discussion),
            ("PUT", rf"{d}/notes/(?P<nid>\d+)", self.update_discussion_note),
            ("DELETE", rf"{d}/notes/(?P<nid>\d+)", self.delete_discussion_note),
            ("DELETE", rf"{mr}/notes/(?P<nid>\d+)", self.delete_note),
        ]

    # --- diff versions --------------------------------------------------------------------------
    def _mr(self, iid: str) -> dict[str, Any]:
        found = next((m for m in self.merge_requests if m["iid"] == int(iid)), None)
        if found is None:
            raise HttpError(404, {"message": "404 Not found"})
        return found

    def versions(self, iid: str) -> list[dict[str, Any]]:
        """The merge request's versions, newest first; a new one when the source moved."""
        mr = self._mr(iid)
        versions: list[dict[str, Any]] = mr.setdefault("_versions", [])
        head = self.forge.branches[mr["source_branch"]]
        if not versions or versions[0]["head_commit_sha"] != head:
            start = self.forge.branches[mr["target_branch"]]
            versions.insert(
                0,
                {
                    "id": 110 + len(versions),
                    "head_commit_sha": head,
                    "base_commit_sha": self.forge.merge_base(head, start),
                    "start_commit_sha": start,
                    "created_at": "2024-05-01T12:00:00.000Z",
                    "merge_request_id": mr["id"],
                    "state": "collected",
                    "real_size": "1",
                    "patch_id_sha": "d504412d5b6e6739647e752aff8e468dde093f2f",
                },
            )
        return versions

    def _version_diffs(self, version: dict[str, Any]) -> list[dict[str, Any]]:
        return [self._shown(d) for d in self._whole_diffs(version)]

    def _shown(self, diff: dict[str, Any]) -> dict[str, Any]:
        """``diff`` as the API shows it: emptied when over the patch size limits."""
        size = len(str(diff["diff"]).encode())
        too_large, collapsed = size > self.diff_patch_limit, size > self.diff_patch_limit // 10
        return {
            **diff,
            "diff": "" if collapsed else diff["diff"],
            "collapsed": collapsed,
            "too_large": too_large,
        }

    def _whole_diffs(self, version: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {
                "old_path": c["old_path"] or c["path"],
                "new_path": c["path"],
                "a_mode": "0" if c["status"] == "added" else "100644",
                "b_mode": "0" if c["status"] == "deleted" else "100644",
                "new_file": c["status"] == "added",
                "renamed_file": c["status"] == "renamed",
                "deleted_file": c["status"] == "deleted",
                "diff": c["patch"],
            }
            for c in self.forge.diff(version["base_commit_sha"], version["head_commit_sha"])
        ]

    def list_versions(self, request: Request, iid: str) -> Reply:
        return self._paginate(request, self.versions(iid))

    def get_version(self, request: Request, iid: str, vid: str) -> Reply:
        version = next((v for v in self.versions(iid) if v["id"] == int(vid)), None)
        if version is None:
            raise HttpError(404, {"message": "404 Not found"})
        return Reply(200, {**version, "commits": [], "diffs": self._version_diffs(version)})

    # --- discussions ----------------------------------------------------------------------------
    def _notes(self, iid: str) -> list[dict[str, Any]]:
        self._mr(iid)
        return self.notes[("merge_requests", int(iid))]

    def discussions(self, iid: str) -> list[dict[str, Any]]:
        """Notes grouped as GitLab shows them: a note made with the notes API is its own
        (individual) discussion."""
        grouped: dict[str, dict[str, Any]] = {}
        for note in self._notes(iid):
            did = note.get("discussion_id") or _discussion_id(note["id"])
            entry = grouped.setdefault(
                did, {"id": did, "individual_note": "discussion_id" not in note, "notes": []}
            )
            entry["notes"].append(note)
        return list(grouped.values())

    def list_discussions(self, request: Request, iid: str) -> Reply:
        return self._paginate(request, self.discussions(iid))

    def add_discussion_note(
        self,
        iid: int,
        author: dict[str, Any],
        body: str,
        *,
        discussion_id: str | None = None,
        position: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A note of a threaded discussion (a new one unless ``discussion_id``)."""
        note_id = next(self._ids)
        note = {
            "id": note_id,
            "type": "DiffNote" if position else "DiscussionNote",
            "body": body,
            "author": author,
            "created_at": "2024-05-01T12:30:00.000Z",
            "updated_at": "2024-05-01T12:30:00.000Z",
            "system": False,
            "noteable_type": "MergeRequest",
            "noteable_iid": iid,
            "resolvable": True,
            "resolved": False,
            "discussion_id": discussion_id or _discussion_id(note_id),
        }
        if position is not None:
            note["position"] = {**position, "old_line": position.get("old_line")}
        self.notes[("merge_requests", iid)].append(note)
        return note

    def create_discussion(self, request: Request, iid: str) -> Reply:
        body = request.json()
        position = body.get("position")
        if position is not None:
            self._check_position(iid, position)
        me = {"id": 1, "username": "agent-bot", "name": "Agent-Bot", "state": "active"}
        note = self.add_discussion_note(int(iid), me, body["body"], position=position)
        discussion = {"id": note["discussion_id"], "individual_note": False, "notes": [note]}
        return Reply(201, discussion)

    def _check_position(self, iid: str, position: dict[str, Any]) -> None:
        shas = tuple(position.get(k) for k in ("base_sha", "start_sha", "head_sha"))
        version = next(
            (
                v
                for v in self.versions(iid)
                if shas == (v["base_commit_sha"], v["start_commit_sha"], v["head_commit_sha"])
            ),
            None,
        )
        if position.get("position_type") != "text" or version is None:
            raise HttpError(400, {"message": _BAD_LINE})
        diff = next(
            (
                d
                for d in self._whole_diffs(version)
                if d["new_path"] == position.get("new_path")
                and d["old_path"] == position.get("old_path")
            ),
            None,
        )
        if diff is None:
            raise HttpError(400, {"message": _BAD_LINE})
        added, context = line_kinds(diff["diff"])
        new_line, old_line = position.get("new_line"), position.get("old_line")
        if not (
            (new_line in added and old_line is None)
            or (new_line in context and old_line == context[new_line])
        ):
            raise HttpError(400, {"message": _BAD_LINE})

    def _own_note(self, iid: str, nid: str, did: str | None = None) -> dict[str, Any]:
        for note in self._notes(iid):
            if note["id"] == int(nid) and (did is None or note.get("discussion_id") == did):
                if note["author"]["id"] != 1:
                    raise HttpError(403, {"message": "403 Forbidden"})
                return note
        raise HttpError(404, {"message": "404 Note Not Found"})

    def update_discussion_note(self, request: Request, iid: str, did: str, nid: str) -> Reply:
        note = self._own_note(iid, nid, did)
        note["body"] = request.json()["body"]
        note["updated_at"] = "2024-05-01T13:00:00.000Z"
        return Reply(200, note)

    def delete_discussion_note(self, request: Request, iid: str, did: str, nid: str) -> Reply:
        self._notes(iid).remove(self._own_note(iid, nid, did))
        return Reply(204)

    def delete_note(self, request: Request, iid: str, nid: str) -> Reply:
        self._notes(iid).remove(self._own_note(iid, nid))
        return Reply(204)

    def resolve_discussion(self, request: Request, iid: str, did: str) -> Reply:
        resolved = str(request.json().get("resolved")).lower() == "true"
        notes = [n for n in self._notes(iid) if n.get("discussion_id") == did]
        if not notes:
            raise HttpError(404, {"message": "404 Discussion Not Found"})
        for note in notes:
            note["resolved"] = resolved
        return Reply(200, {"id": did, "individual_note": False, "notes": notes})


def _discussion_id(note_id: int) -> str:
    return hashlib.sha1(f"discussion-{note_id}".encode(), usedforsecurity=False).hexdigest()
