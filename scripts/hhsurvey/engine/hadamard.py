"""Hadamard matrices for balanced repeated replication (BRR and Fay's variant).

A BRR design with H strata of two PSUs needs H rows (besides the first, all +1) of a Hadamard
matrix of order N > H: replicate r keeps the first PSU of stratum h where row h + 1 has +1 in
column r and the second PSU elsewhere. :func:`hadamard` builds the matrix of the smallest order
N, a multiple of 4, that it can construct, the way R's ``survey::hadamard`` builds it:

* N a power of 2: Sylvester's matrix, H_2N = [[H, H], [H, -H]] from [[1]] (R's for 1-7,
  12-15, 28-31 strata and every power of 2 it doubles up to);
* N = 2^k (p + 1) with p a prime, p = 3 mod 4: Paley's matrix of order p + 1 in R's form
  (``survey:::paley``: a first row and column of +1 around the p x p matrix whose entry (i, j)
  is -1 where i + j mod p is 0 or a quadratic residue and +1 elsewhere), doubled k times as
  above; for N divisible by 8 the smallest such p + 1 is doubled, as R does.

R also keeps pre-computed matrices of order 16 (the Sylvester one), 28 and 36; the engine has
no order 28 or 36, so for 24-27 and 32-35 strata it uses order 32 and 40 (more replicates, the
same variance for linear statistics). Give R's own matrix (``hadamard=``) to reproduce its
replicates there. Matrices are +-1 integer arrays.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_hadamard", "hadamard", "paley", "sylvester"]


def _is_prime(p: int) -> bool:
    if p < 2:
        return False
    f = 2
    while f * f <= p:
        if p % f == 0:
            return False
        f += 1
    return True


def sylvester(order: int) -> np.ndarray:
    """Sylvester's Hadamard matrix of ``order`` (a power of 2)."""
    if order < 1 or order & (order - 1):
        raise ValueError(f"Sylvester's construction needs a power of 2, got {order}")
    H = np.ones((1, 1), dtype=np.int64)
    while len(H) < order:
        H = _double(H)
    return H


def paley(p: int) -> np.ndarray:
    """Paley's Hadamard matrix of order p + 1 (p prime, p = 3 mod 4), in R's form."""
    if not (_is_prime(p) and p % 4 == 3):
        raise ValueError(f"Paley's construction needs a prime p = 3 mod 4, got {p}")
    residues = np.zeros(p, dtype=bool)
    residues[(np.arange(1, (p - 1) // 2 + 1) ** 2) % p] = True
    residues[0] = True
    core = np.where(residues[np.add.outer(np.arange(p), np.arange(p)) % p], -1, 1)
    H = np.ones((p + 1, p + 1), dtype=np.int64)
    H[1:, 1:] = core
    return H


def _double(H: np.ndarray) -> np.ndarray:
    return np.block([[H, H], [H, -H]])


def _build(order: int) -> np.ndarray | None:
    """The matrix of ``order`` (a multiple of 4) by the rules of the module, or None."""
    if order & (order - 1) == 0:
        return sylvester(order)
    base = order
    while base % 8 == 0:
        base //= 2
    if not (_is_prime(base - 1) and (base - 1) % 4 == 3):
        return None
    H = paley(base - 1)
    while len(H) < order:
        H = _double(H)
    return H


def hadamard(n_strata: int) -> np.ndarray:
    """A Hadamard matrix with more than ``n_strata`` rows: the smallest buildable order, a
    multiple of 4 (4 at least). Its first row is all +1; the others are balanced."""
    if n_strata < 1:
        raise ValueError(f"BRR needs at least one stratum, got {n_strata}")
    order = 4 * (n_strata // 4 + 1)
    while True:
        H = _build(order)
        if H is not None:
            return H
        order += 4


def check_hadamard(H: np.ndarray, n_strata: int) -> np.ndarray:
    """A user's matrix as +-1: two distinct values (the larger is +1, e.g. 1 in 0/1 coding),
    at least ``n_strata`` + 1 rows, and rows 2 .. n_strata + 1 balanced and orthogonal (full
    orthogonal balance of the replicates)."""
    H = np.asarray(H)
    values = np.unique(H)
    if H.ndim != 2 or len(values) != 2:
        raise ValueError("hadamard must be a matrix with two distinct values (+-1 or 0/1)")
    if H.shape[0] < n_strata + 1:
        raise ValueError(
            f"hadamard has {H.shape[0]} rows; {n_strata} strata need at least {n_strata + 1}"
        )
    S = np.where(H == values[1], 1, -1).astype(np.int64)
    rows = S[1 : n_strata + 1]
    G = rows @ rows.T
    if np.any(rows.sum(axis=1) != 0) or np.any(G != S.shape[1] * np.eye(n_strata)):
        raise ValueError(
            "hadamard is not a Hadamard matrix: its rows 2 to H + 1 must be balanced (as many "
            "+1 as -1) and orthogonal"
        )
    return S
