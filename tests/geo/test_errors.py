import pickle

import pytest

from geo import errors
from geo.errors import (
    ConflictError,
    DatabaseUnavailable,
    DataFileError,
    InputError,
    Message,
    NotFoundError,
    OffNetworkError,
    StaleVersionError,
    YizhanError,
    message_of,
)


@pytest.mark.parametrize(("error", "builtin"), [
    (InputError("bad", parameter="k"), ValueError),
    (OffNetworkError("far", distance_m=420.0), ValueError),
    (NotFoundError("no such station"), LookupError),
    (ConflictError("taken", parameter="id"), ValueError),
    (DatabaseUnavailable("sqlite:////tmp/x.sqlite", "readonly"), RuntimeError),
])
def test_every_error_is_ours_and_the_builtin(error, builtin):
    assert isinstance(error, YizhanError) and isinstance(error, builtin)


def test_analysis_errors_pickle_whole():
    """A Dask worker's error reaches the caller with its fields and catalogue key."""
    message = Message("'x' is not a number", "not_a_number", value="x")
    for error in (InputError(message, parameter="k"),
                  OffNetworkError("the point is 420 m from the network", distance_m=420.0)):
        again = pickle.loads(pickle.dumps(error))
        assert type(again) is type(error) and str(again) == str(error)
        assert again.__dict__ == error.__dict__
    again = pickle.loads(pickle.dumps(InputError(message, parameter="k")))
    assert message_of(again).key == "not_a_number"
    assert message_of(again).params == {"value": "x"}


def test_a_stale_version_names_the_version_field():
    error = StaleVersionError("changed", station=None, version=3, changed_by="王芳")
    assert error.parameter == "version" and error.version == 3 and error.changed_by == "王芳"


def test_database_unavailable_shows_the_file_not_a_password():
    error = DatabaseUnavailable("postgresql+psycopg://u:secret@db.local/yizhan", "timeout")
    assert "secret" not in str(error) and "db.local/yizhan" in str(error)
    assert "/data/r.sqlite" in str(DatabaseUnavailable("sqlite:////data/r.sqlite", "readonly"))


def test_data_file_errors_list_their_problems():
    assert issubclass(DataFileError, ValueError)
    assert all(issubclass(getattr(errors, name), YizhanError) for name in errors.__dict__
               if name.endswith("Error") and isinstance(getattr(errors, name), type)
               and name != "YizhanError")
