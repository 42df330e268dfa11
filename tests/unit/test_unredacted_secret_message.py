"""UnredactedSecretError's message stays short and actionable however many suspects a recording
holds (user audit, secret-scan-quadratic: 10,526 identical lines): identical findings are
folded into one line with their count, and the list is capped, the rest counted."""

from __future__ import annotations

from pytest_clearstone.errors import ClearstoneError, UnredactedSecretError

WHERE = "output of call #1 to app.fetch_email"
SAME = (WHERE, "root", "a high-entropy string, 76 chars")


def _listed(message: str) -> list[str]:
    """The lines of the message that name a finding (or count the ones not named)."""
    lines = message.splitlines()
    assert lines[-3].startswith("  Redact them")  # (the fixes, three lines)
    return lines[1:-3]


def test_identical_findings_are_folded_into_one_line_with_their_count() -> None:
    error = UnredactedSecretError([SAME] * 10_526)
    message = str(error)
    assert isinstance(error, ClearstoneError)
    assert message.startswith("refusing to record 10,526 value(s) that look like secrets")
    assert _listed(message) == [f"  {WHERE}: root (a high-entropy string, 76 chars) (×10,526)"]
    assert len(error.findings) == 10_526  # (all of them still there for a caller)


def test_the_list_is_capped_and_the_rest_counted() -> None:
    distinct = [(WHERE, f"root['n{i}']", "a GitHub token, 40 chars") for i in range(100)]
    error = UnredactedSecretError([SAME] * 50 + distinct + distinct[:3])
    listed = _listed(str(error))
    assert listed[0] == f"  {WHERE}: root (a high-entropy string, 76 chars) (×50)"
    assert listed[1] == f"  {WHERE}: root['n0'] (a GitHub token, 40 chars) (×2)"
    assert listed[3] == f"  {WHERE}: root['n2'] (a GitHub token, 40 chars) (×2)"
    assert listed[4] == f"  {WHERE}: root['n3'] (a GitHub token, 40 chars)"
    assert len(listed) == UnredactedSecretError.MAX_LISTED + 1
    assert listed[-1] == "  ... and 81 more value(s) in 81 other place(s)"
    assert "--clearstone-allow-secrets" in str(error)


def test_a_few_distinct_findings_are_listed_as_they_are() -> None:
    findings = [(WHERE, "root['a']", "a Slack token, 30 chars"), SAME]
    message = str(UnredactedSecretError(findings))
    assert message.startswith("refusing to record 2 value(s)")
    assert _listed(message) == [f"  {loc}: {path} ({what})" for loc, path, what in findings]


def test_as_many_places_as_listed_are_all_listed_with_nothing_counted() -> None:
    distinct = [(WHERE, f"root['n{i}']", "a GitHub token, 40 chars") for i in range(20)]
    listed = _listed(str(UnredactedSecretError(distinct)))
    assert len(listed) == UnredactedSecretError.MAX_LISTED
    assert listed[-1] == f"  {WHERE}: root['n19'] (a GitHub token, 40 chars)"


def test_the_rest_counts_its_values_and_its_places_apart() -> None:
    distinct = [(WHERE, f"root['n{i}']", "a GitHub token, 40 chars") for i in range(21)]
    listed = _listed(str(UnredactedSecretError(distinct + [distinct[-1]] * 4)))
    assert listed[-1] == "  ... and 5 more value(s) in 1 other place(s)"
