import pytest

from app.errors import (
    AccountDisabledError,
    DemandFileError,
    JSONDepthError,
    PlannerBusy,
    PortInUse,
    SignInError,
    ThrottledError,
    VersionRequired,
)
from geo.errors import InputError, YizhanError


@pytest.mark.parametrize(("error", "builtin"), [
    (SignInError("no"), PermissionError), (AccountDisabledError("off"), PermissionError),
    (ThrottledError("wait", retry_after_s=2.0), PermissionError),
    (JSONDepthError(32), ValueError), (PortInUse("taken"), OSError),
])
def test_the_app_errors_are_on_the_library_hierarchy(error, builtin):
    assert isinstance(error, YizhanError) and isinstance(error, builtin)
    assert isinstance(PlannerBusy("busy"), YizhanError)
    assert isinstance(VersionRequired("say which"), YizhanError)


def test_a_throttled_sign_in_says_how_long_to_wait():
    assert ThrottledError("wait", retry_after_s=4.0).retry_after_s == 4.0


def test_a_demand_file_error_shows_five_problems_and_counts_the_rest():
    error = DemandFileError([f"row {i}: bad" for i in range(2, 10)])
    assert "8 problem(s)" in str(error) and "row 6: bad" in str(error)
    assert "row 7: bad" not in str(error) and "and 3 more" in str(error)


def test_a_too_deep_body_names_the_body_and_the_limit():
    error = JSONDepthError(32)
    assert isinstance(error, InputError) and error.parameter == "body" and "32" in str(error)
