"""Validated input: every accepted form becomes the same CSC matrix of ones; the index helpers.

The error messages are tested through the models, in ``test_models.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from geo.siting._validate import check_cover, check_fixed, ranges, validate
from tests.geo.siting.conftest import random_instance


@pytest.mark.parametrize("convert", [
    np.asarray, lambda a: a.astype(np.int8), lambda a: a.astype(float), lambda a: a.tolist(),
    sp.csr_array, sp.csc_array, sp.coo_array, sp.lil_array, sp.dok_array, sp.csr_matrix,
])
def test_every_form_becomes_csc_of_ones(convert):
    cover, _ = random_instance(20, 7, 0.3, 4)
    a = check_cover(convert(cover))
    assert isinstance(a, sp.csc_array) and a.has_sorted_indices
    assert a.dtype == np.float64 and np.all(a.data == 1.0)
    assert a.indices.dtype == np.int64 and a.indptr.dtype == np.int64
    assert np.array_equal(a.toarray().astype(bool), cover)


def test_explicit_zeros_and_duplicates():
    # A stored 0 is no coverage; a duplicated 1 covers once.
    cover = sp.coo_array((np.array([1, 0, 1, 1]), ([0, 1, 1, 1], [0, 0, 1, 1])), shape=(2, 2))
    a = check_cover(cover)
    assert a.nnz == 2 and a.toarray().tolist() == [[1.0, 0.0], [0.0, 1.0]]


@pytest.mark.parametrize("fixed, expected", [
    (None, []), ([], []), ([3, 1, 3], [1, 3]), (np.array([0]), [0]),
    (np.array([False, True, False, True, False]), [1, 3]), (2, [2]),
])
def test_fixed_as_sorted_unique_indices(fixed, expected):
    out = check_fixed(fixed, 5)
    assert out.dtype == np.int64 and out.tolist() == expected


def test_covered_mask_and_weight():
    cover, weights = random_instance(30, 8, 0.2, 2)
    inp = validate(cover, weights, [5])
    assert inp.coverable.tolist() == cover.any(axis=1).tolist()
    for selected in ([], [0], [5, 2, 7], list(range(8))):
        mask = inp.covered_mask(np.array(selected, dtype=np.int64))
        expected = cover[:, selected].any(axis=1) if selected else np.zeros(30, bool)
        assert mask.tolist() == expected.tolist()
        assert inp.covered(selected) == pytest.approx(weights[expected].sum())


def test_ranges_concatenates_aranges():
    starts, ends = np.array([0, 5, 5, 9]), np.array([3, 5, 8, 10])
    assert ranges(starts, ends).tolist() == [0, 1, 2, 5, 6, 7, 9]
    assert ranges(np.array([4]), np.array([4])).tolist() == []
