"""The web application's errors, on the library's hierarchy (:mod:`geo.errors`).

Each derives from :class:`geo.errors.YizhanError` (and the matching built-in), so the one error
handler of the API (:mod:`app.api`) turns every one of them into JSON with a 4xx or 503 status,
and a caller may catch ours or the built-in. The library's own errors (a bad parameter, a bad file,
off the network, a stale version …) stay in :mod:`geo.errors`; these are the ones only the
application raises: sign-in, the planner's analyses, HTTP preconditions and the server.
"""

from __future__ import annotations

from geo.errors import InputError, OffNetworkError, YizhanError


class SignInError(YizhanError, PermissionError):
    """A sign-in was refused: unknown user or wrong password (the message does not say which)."""


class AccountDisabledError(SignInError):
    """The password was right but the account is disabled."""


class ThrottledError(SignInError):
    """Too many failed sign-ins: the next attempt must wait ``retry_after_s`` seconds."""

    def __init__(self, message: str, *, retry_after_s: float):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PlannerBusy(YizhanError):
    """An analysis is computing in this process already (the API answers 503 with
    Retry-After)."""


class DemandFileError(YizhanError):
    """The server's worker demand file has problems (the API answers 409: the request was fine,
    the server's data is not)."""

    def __init__(self, problems: list):
        self.problems = list(problems)
        shown = "; ".join(str(p) for p in self.problems[:5])
        more = f" … and {len(self.problems) - 5} more" if len(self.problems) > 5 else ""
        super().__init__(f"the worker demand file has {len(self.problems)} problem(s), so "
                         f"coverage cannot be computed: {shown}{more}")


class OutsideRegions(OffNetworkError):
    """A point outside every region a deployment serves (422): ``regions`` are those it serves
    (``{"id", "label"}`` each), ``distance_m`` the distance to the nearest."""

    def __init__(self, message: str, *, distance_m: float, regions: list[dict[str, str]]):
        super().__init__(message, distance_m=distance_m)
        self.regions = list(regions)

    def __reduce__(self):
        return _outside, (str(self), self.distance_m, self.regions)


def _outside(message: str, distance_m: float, regions: list[dict[str, str]]) -> OutsideRegions:
    return OutsideRegions(message, distance_m=distance_m, regions=regions)


class VersionRequired(YizhanError):
    """A change to a station that does not say which version it starts from (428)."""


class JSONDepthError(InputError):
    """A JSON body nested deeper than :data:`app.limits.MAX_JSON_DEPTH`."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the JSON body is nested more than {limit} levels deep; "
                         "send a flat object such as {\"station_id\": …, \"kind\": …}",
                         parameter="body")


class PortInUse(YizhanError, OSError):
    """The address the server should listen on is taken."""
